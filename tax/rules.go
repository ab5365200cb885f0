package tax

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/emporium/emporium/ent"
)

// Treatments: how the tax of an order was decided (the order's tax_treatment).
const (
	Standard      = "STANDARD"
	ReverseCharge = "REVERSE_CHARGE"
	Exempt        = "EXEMPT"
)

// ReverseChargeNote is the legal note an invoice carries when the buyer accounts for the VAT.
const ReverseChargeNote = "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC)"

// Settings are the shop's tax settings.
type Settings struct {
	// OriginCountry is where the shop ships from (EU rules need it); empty: EU rules are off.
	OriginCountry string
	// Nexus lists the US states where the shop collects sales tax; empty: wherever a rate exists.
	Nexus []string
}

// LoadSettings reads the shop's tax settings.
func LoadSettings(ctx context.Context, client *ent.Client) (Settings, error) {
	shop, err := client.Shop.Query().First(ctx)
	if ent.IsNotFound(err) {
		return Settings{}, nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("tax: settings: %w", err)
	}
	return Settings{OriginCountry: shop.TaxOriginCountry, Nexus: shop.TaxNexus}, nil
}

// euCountries are the EU member states, by ISO 3166 code.
var euCountries = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
	"IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}

// InEU reports whether country is an EU member state.
func InEU(country string) bool { return slices.Contains(euCountries, country) }

// vatFormats are the formats of EU VAT numbers after the country prefix (as VIES documents them).
// Greece's prefix is EL, not its ISO code GR.
var vatFormats = map[string]*regexp.Regexp{
	"AT": regexp.MustCompile(`^U\d{8}$`),
	"BE": regexp.MustCompile(`^[01]\d{9}$`),
	"BG": regexp.MustCompile(`^\d{9,10}$`),
	"CY": regexp.MustCompile(`^\d{8}[A-Z]$`),
	"CZ": regexp.MustCompile(`^\d{8,10}$`),
	"DE": regexp.MustCompile(`^\d{9}$`),
	"DK": regexp.MustCompile(`^\d{8}$`),
	"EE": regexp.MustCompile(`^\d{9}$`),
	"EL": regexp.MustCompile(`^\d{9}$`),
	"ES": regexp.MustCompile(`^[A-Z0-9]\d{7}[A-Z0-9]$`),
	"FI": regexp.MustCompile(`^\d{8}$`),
	"FR": regexp.MustCompile(`^[A-HJ-NP-Z0-9]{2}\d{9}$`),
	"HR": regexp.MustCompile(`^\d{11}$`),
	"HU": regexp.MustCompile(`^\d{8}$`),
	"IE": regexp.MustCompile(`^(\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W])$`),
	"IT": regexp.MustCompile(`^\d{11}$`),
	"LT": regexp.MustCompile(`^(\d{9}|\d{12})$`),
	"LU": regexp.MustCompile(`^\d{8}$`),
	"LV": regexp.MustCompile(`^\d{11}$`),
	"MT": regexp.MustCompile(`^\d{8}$`),
	"NL": regexp.MustCompile(`^\d{9}B\d{2}$`),
	"PL": regexp.MustCompile(`^\d{10}$`),
	"PT": regexp.MustCompile(`^\d{9}$`),
	"RO": regexp.MustCompile(`^\d{2,10}$`),
	"SE": regexp.MustCompile(`^\d{12}$`),
	"SI": regexp.MustCompile(`^\d{8}$`),
	"SK": regexp.MustCompile(`^\d{10}$`),
}

// NormalizeVATNumber upper-cases a VAT number and drops spaces, dots and dashes.
func NormalizeVATNumber(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', '-':
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
}

// VATCountry is the ISO country of a VAT number whose format is valid, or "" when it is not. The
// format only: whether the number is registered is VIES's to say, and a shop that must know checks it
// there.
func VATCountry(number string) string {
	n := NormalizeVATNumber(number)
	if len(n) < 4 {
		return ""
	}
	prefix, rest := n[:2], n[2:]
	re := vatFormats[prefix]
	if re == nil || !re.MatchString(rest) {
		return ""
	}
	if prefix == "EL" {
		return "GR"
	}
	return prefix
}

// decide applies the rules that take a sale out of tax: an exempt customer, a reverse-charged EU
// business sale, a US state without nexus. It returns the treatment and note, and whether the sale
// is untaxed.
//
// EU: a shop whose origin country is in the EU sells to a business buyer of another member state (a
// VAT number of valid format, issued by the destination country, the goods going there) under reverse
// charge: no VAT, and the note. Every other EU sale is taxed at the destination's rates (the OSS rule
// for cross-border sales to consumers; the shop keeps the rates of the countries it sells to), including
// domestic sales to businesses.
func decide(r Request) (treatment, note string, untaxed bool) {
	if r.Exempt {
		return Exempt, r.ExemptReason, true
	}
	origin := r.Settings.OriginCountry
	if r.VATNumber != "" && InEU(origin) && InEU(r.CountryCode) && r.CountryCode != origin &&
		VATCountry(r.VATNumber) == r.CountryCode {
		return ReverseCharge, ReverseChargeNote + "; buyer VAT number " + NormalizeVATNumber(r.VATNumber), true
	}
	if r.CountryCode == "US" && len(r.Settings.Nexus) > 0 && !slices.Contains(r.Settings.Nexus, r.ProvinceCode) {
		return Standard, "", true
	}
	return Standard, "", false
}
