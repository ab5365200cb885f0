package emails

import (
	"strconv"
	"strings"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"

	"github.com/emporium/emporium/money"
)

// FormatAmount writes amount minor units of currency as people of lang read money: "$1,234.50" in
// English, "1.234,50 €" in German.
//
// No float is ever involved. The amount is split into its integer part and its minor units with
// integer arithmetic (the currency's exponent from package money). CLDR's data, through
// golang.org/x/text, gives the rest: the integer part is formatted as an integer in the language
// (grouping), the decimal separator is read off the language's formatting of the integer 0 at one
// decimal place ("0.0" or "0,0"), and the currency's symbol is the language's (currency.Symbol). Only
// where the symbol stands is a small table of our own: x/text does not export CLDR's currency patterns.
func FormatAmount(amount int64, code string, lang language.Tag) string {
	p := message.NewPrinter(lang)
	neg := amount < 0
	// The magnitude as unsigned: -MinInt64 does not fit an int64.
	mag := uint64(amount)
	if neg {
		mag = -mag
	}
	exp := money.Exponent(code)
	unit := uint64(1)
	for range exp {
		unit *= 10
	}
	s := p.Sprint(number.Decimal(mag / unit))
	if exp > 0 {
		minor := strconv.FormatUint(mag%unit, 10)
		s += decimalSeparator(p) + strings.Repeat("0", exp-len(minor)) + minor
	}
	symbol := code
	if u, err := currency.ParseISO(code); err == nil {
		symbol = p.Sprint(currency.Symbol(u))
	}
	sign := ""
	if neg {
		sign = "-"
	}
	if symbolAfter(lang) {
		return sign + s + "\u00a0" + symbol
	}
	return sign + symbol + s
}

// decimalSeparator is the language's decimal separator, from its formatting of 0 at one decimal place.
func decimalSeparator(p *message.Printer) string {
	z := p.Sprint(number.Decimal(0, number.Scale(1)))
	if len(z) < 3 {
		return "."
	}
	return strings.Trim(z[1:len(z)-1], "0")
}

// symbolAfter tells the languages whose CLDR currency pattern puts the symbol after the number.
func symbolAfter(lang language.Tag) bool {
	base, _ := lang.Base()
	switch base.String() {
	case "de", "fr", "es", "it", "pt", "pl", "cs", "sk", "sv", "da", "fi", "nb", "no", "ru", "uk", "hu", "ro", "hr", "sl", "bg", "el", "lt", "lv", "et":
		return true
	}
	return false
}
