package model

// Node is any object with a global ID; the ent types that GraphQL exposes as Node implement it.
type Node interface{ IsNode() }

// MenuItemResource is what a menu item can link to.
type MenuItemResource interface{ IsMenuItemResource() }

// BaseCartLine is a line of a cart.
type BaseCartLine interface {
	Node
	IsBaseCartLine()
}

// Merchandise is what a cart line holds.
type Merchandise interface{ IsMerchandise() }

// CartAddress is a delivery address of a cart.
type CartAddress interface{ IsCartAddress() }

// PricingValue is a discount's terms: a money.Money or a *PricingPercentageValue.
type PricingValue any
