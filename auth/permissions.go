package auth

// Permissions staff groups and API keys hold. MANAGE_X includes READ_X.
const (
	ManageProducts  = "MANAGE_PRODUCTS"
	ReadProducts    = "READ_PRODUCTS"
	ManageInventory = "MANAGE_INVENTORY"
	ReadInventory   = "READ_INVENTORY"
	ManageOrders    = "MANAGE_ORDERS"
	ReadOrders      = "READ_ORDERS"
	ManageCustomers = "MANAGE_CUSTOMERS"
	ReadCustomers   = "READ_CUSTOMERS"
	ManageDiscounts = "MANAGE_DISCOUNTS"
	ReadDiscounts   = "READ_DISCOUNTS"
	ManageContent   = "MANAGE_CONTENT"
	ManageSettings  = "MANAGE_SETTINGS"
	ManageStaff     = "MANAGE_STAFF"
	ManageApps      = "MANAGE_APPS"
	ManageWebhooks  = "MANAGE_WEBHOOKS"
)

// AllPermissions lists every permission; the shop's owner holds them all.
var AllPermissions = []string{
	ManageProducts, ReadProducts, ManageInventory, ReadInventory, ManageOrders, ReadOrders,
	ManageCustomers, ReadCustomers, ManageDiscounts, ReadDiscounts, ManageContent, ManageSettings,
	ManageStaff, ManageApps, ManageWebhooks,
}

// ValidPermission reports whether p is a known permission.
func ValidPermission(p string) bool {
	for _, q := range AllPermissions {
		if p == q {
			return true
		}
	}
	return false
}
