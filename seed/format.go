// Package seed loads a catalog file (the demo shop in testdata/ or any file of the same format) into the
// database in one transaction.
package seed

// File is the catalog file format: JSON, every section optional. Prices are exact decimal strings in the
// currency's major unit ("19.99"); they are never floats.
type File struct {
	Shop        *Shop        `json:"shop,omitempty"`
	Locations   []Location   `json:"locations,omitempty"`
	Products    []Product    `json:"products,omitempty"`
	Collections []Collection `json:"collections,omitempty"`
	Menus       []Menu       `json:"menus,omitempty"`
	Pages       []Page       `json:"pages,omitempty"`
	// ShippingZones price delivery; a zone with country "*" serves every country no other zone lists.
	ShippingZones []ShippingZone `json:"shippingZones,omitempty"`
	// TaxRates are the built-in tax tables.
	TaxRates []TaxRate `json:"taxRates,omitempty"`
}

// TaxRate is the rate of a tax class in a country or one of its provinces. Rate is a percentage as a
// decimal string ("19", "5.75").
type TaxRate struct {
	CountryCode     string `json:"countryCode"`
	ProvinceCode    string `json:"provinceCode,omitempty"`
	TaxClass        string `json:"taxClass,omitempty"` // STANDARD (default), REDUCED or ZERO
	Name            string `json:"name"`
	Rate            string `json:"rate"`
	Inclusive       bool   `json:"inclusive,omitempty"`
	ShippingTaxable bool   `json:"shippingTaxable,omitempty"`
}

// ShippingZone is a set of countries sharing rates.
type ShippingZone struct {
	Name      string         `json:"name"`
	Countries []string       `json:"countries"`
	Rates     []ShippingRate `json:"rates"`
}

// ShippingRate is a way to ship, priced per currency. Kind FLAT (default) always applies; WEIGHT applies
// from minWeightGrams up to maxWeightGrams; SUBTOTAL from minSubtotal up to maxSubtotal. freeAbove makes
// the rate free from that subtotal on. Amounts are decimal strings by currency.
type ShippingRate struct {
	Handle         string            `json:"handle"`
	Title          string            `json:"title"`
	Kind           string            `json:"kind,omitempty"`
	Prices         map[string]string `json:"prices"`
	MinWeightGrams *int64            `json:"minWeightGrams,omitempty"`
	MaxWeightGrams *int64            `json:"maxWeightGrams,omitempty"`
	MinSubtotal    map[string]string `json:"minSubtotal,omitempty"`
	MaxSubtotal    map[string]string `json:"maxSubtotal,omitempty"`
	FreeAbove      map[string]string `json:"freeAbove,omitempty"`
}

// Shop holds the shop-wide settings.
type Shop struct {
	Name            string   `json:"name"`
	Description     string   `json:"description,omitempty"`
	DefaultCurrency string   `json:"defaultCurrency"`      // ISO 4217, e.g. "USD"
	Currencies      []string `json:"currencies,omitempty"` // enabled currencies, the default included
	PrimaryDomain   string   `json:"primaryDomain,omitempty"`
}

// Location is a place that holds stock.
type Location struct {
	Name    string `json:"name"`
	Country string `json:"country,omitempty"` // ISO 3166-1 alpha-2
	City    string `json:"city,omitempty"`
}

// SEO is the search-engine title and description of a resource.
type SEO struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
}

// Image is a picture of a product or a collection.
type Image struct {
	URL     string `json:"url"`
	AltText string `json:"altText,omitempty"`
	Width   int    `json:"width,omitempty"`
	Height  int    `json:"height,omitempty"`
}

// Option is a product option such as Size, with its values in display order.
type Option struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// Product is a product with its options, images and variants.
type Product struct {
	Handle          string    `json:"handle"`
	Title           string    `json:"title"`
	DescriptionHTML string    `json:"descriptionHtml,omitempty"`
	Vendor          string    `json:"vendor,omitempty"`
	ProductType     string    `json:"productType,omitempty"`
	Tags            []string  `json:"tags,omitempty"`
	Status          string    `json:"status,omitempty"`      // ACTIVE (default), DRAFT or ARCHIVED
	PublishedAt     string    `json:"publishedAt,omitempty"` // RFC 3339; empty means published at load time
	SEO             SEO       `json:"seo,omitempty"`
	Options         []Option  `json:"options,omitempty"`
	Images          []Image   `json:"images,omitempty"`
	Variants        []Variant `json:"variants"`
	// TaxClass is STANDARD (default), REDUCED or ZERO.
	TaxClass string `json:"taxClass,omitempty"`
	// SalesCount seeds the BEST_SELLING order of a demo catalog.
	SalesCount int64 `json:"salesCount,omitempty"`
}

// Variant is one purchasable combination of option values.
type Variant struct {
	Title string `json:"title,omitempty"` // defaults to the option values joined by " / "
	SKU   string `json:"sku,omitempty"`
	// Options gives one value per product option, in the product's option order.
	Options          []string          `json:"options,omitempty"`
	Barcode          string            `json:"barcode,omitempty"`
	Prices           map[string]string `json:"prices"`                    // currency -> amount, e.g. {"USD": "19.99"}
	CompareAtPrices  map[string]string `json:"compareAtPrices,omitempty"` // currency -> amount
	Weight           float64           `json:"weight,omitempty"`
	WeightUnit       string            `json:"weightUnit,omitempty"`       // GRAMS, KILOGRAMS (default), OUNCES, POUNDS
	RequiresShipping *bool             `json:"requiresShipping,omitempty"` // default true
	Taxable          *bool             `json:"taxable,omitempty"`          // default true
	InventoryPolicy  string            `json:"inventoryPolicy,omitempty"`  // DENY (default) or CONTINUE
	// Inventory maps a location name to the quantity available there. A variant with no inventory entry
	// is not tracked and is always available.
	Inventory map[string]int `json:"inventory,omitempty"`
	Image     *int           `json:"image,omitempty"` // index into the product's images
}

// Collection is a curated, ordered group of products.
type Collection struct {
	Handle          string `json:"handle"`
	Title           string `json:"title"`
	DescriptionHTML string `json:"descriptionHtml,omitempty"`
	SEO             SEO    `json:"seo,omitempty"`
	Image           *Image `json:"image,omitempty"`
	// SortOrder is the default order of the collection's products: MANUAL (default), BEST_SELLING,
	// ALPHA_ASC, ALPHA_DESC, PRICE_ASC, PRICE_DESC, CREATED, CREATED_DESC.
	SortOrder string   `json:"sortOrder,omitempty"`
	Products  []string `json:"products"` // product handles, in manual order
}

// Menu is a navigation menu.
type Menu struct {
	Handle string     `json:"handle"`
	Title  string     `json:"title"`
	Items  []MenuItem `json:"items"`
}

// MenuItem is one entry of a menu, possibly with nested items.
type MenuItem struct {
	Title string `json:"title"`
	// Type is a Storefront MenuItemType: FRONTPAGE, CATALOG, COLLECTION, COLLECTIONS, PRODUCT, PAGE,
	// SEARCH, HTTP…
	Type string `json:"type"`
	URL  string `json:"url,omitempty"`
	// Resource names the linked resource by handle, for COLLECTION, PRODUCT and PAGE items.
	Resource string     `json:"resource,omitempty"`
	Tags     []string   `json:"tags,omitempty"`
	Items    []MenuItem `json:"items,omitempty"`
}

// Page is a content page such as "About us".
type Page struct {
	Handle      string `json:"handle"`
	Title       string `json:"title"`
	Body        string `json:"body"` // HTML
	BodySummary string `json:"bodySummary,omitempty"`
	SEO         SEO    `json:"seo,omitempty"`
}
