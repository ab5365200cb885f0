package money

// exponents lists the ISO 4217 currencies whose minor unit is not a hundredth of the major unit.
var exponents = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
	"UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

// Exponent is the number of decimals of currency's minor unit: 2 for USD, 0 for JPY, 3 for KWD.
func Exponent(currency string) int {
	if e, ok := exponents[currency]; ok {
		return e
	}
	return 2
}

// ValidCurrency reports whether code has the form of an ISO 4217 code (three capital letters).
func ValidCurrency(code string) bool {
	if len(code) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if code[i] < 'A' || code[i] > 'Z' {
			return false
		}
	}
	return true
}

// countryCurrency maps ISO 3166-1 alpha-2 countries to their currency, for choosing the prices a buyer
// from that country sees.
var countryCurrency = map[string]string{
	"US": "USD", "CA": "CAD", "MX": "MXN", "BR": "BRL", "AR": "ARS", "CL": "CLP", "CO": "COP", "PE": "PEN",
	"GB": "GBP", "IE": "EUR", "FR": "EUR", "DE": "EUR", "NL": "EUR", "BE": "EUR", "LU": "EUR", "AT": "EUR",
	"IT": "EUR", "ES": "EUR", "PT": "EUR", "FI": "EUR", "GR": "EUR", "SK": "EUR", "SI": "EUR", "EE": "EUR",
	"LV": "EUR", "LT": "EUR", "MT": "EUR", "CY": "EUR", "HR": "EUR", "MC": "EUR", "SM": "EUR", "VA": "EUR",
	"AD": "EUR", "ME": "EUR", "XK": "EUR", "CH": "CHF", "LI": "CHF", "SE": "SEK", "NO": "NOK", "DK": "DKK",
	"IS": "ISK", "PL": "PLN", "CZ": "CZK", "HU": "HUF", "RO": "RON", "BG": "BGN", "RS": "RSD", "TR": "TRY",
	"UA": "UAH", "IL": "ILS", "AE": "AED", "SA": "SAR", "QA": "QAR", "KW": "KWD", "BH": "BHD", "OM": "OMR",
	"JO": "JOD", "EG": "EGP", "MA": "MAD", "TN": "TND", "ZA": "ZAR", "NG": "NGN", "KE": "KES", "GH": "GHS",
	"IN": "INR", "PK": "PKR", "BD": "BDT", "LK": "LKR", "CN": "CNY", "HK": "HKD", "TW": "TWD", "JP": "JPY",
	"KR": "KRW", "SG": "SGD", "MY": "MYR", "TH": "THB", "VN": "VND", "ID": "IDR", "PH": "PHP", "AU": "AUD",
	"NZ": "NZD",
}

// CountryCurrency returns the currency of country and whether it is known.
func CountryCurrency(country string) (string, bool) {
	c, ok := countryCurrency[country]
	return c, ok
}

var symbols = map[string]string{"USD": "$", "CAD": "$", "AUD": "$", "NZD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}

// Format is a storefront money format for currency, such as "${{amount}}".
func Format(currency string) string {
	if s, ok := symbols[currency]; ok {
		return s + "{{amount}}"
	}
	return "{{amount}} " + currency
}
