// Package money holds amounts of money as integer minor units of an ISO 4217 currency, with exact
// conversion to and from decimal strings. Floats never touch an amount.
package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in the minor unit of its currency: Amount 1999 with Currency "USD" is $19.99.
type Money struct {
	Amount   int64
	Currency string
}

// New returns amount minor units of currency.
func New(amount int64, currency string) Money { return Money{Amount: amount, Currency: currency} }

// ErrCurrencyMismatch is returned by arithmetic on amounts of different currencies.
var ErrCurrencyMismatch = errors.New("money: currency mismatch")

// Add returns m + o; both must be in the same currency.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("%w: %s + %s", ErrCurrencyMismatch, m.Currency, o.Currency)
	}
	return Money{Amount: m.Amount + o.Amount, Currency: m.Currency}, nil
}

// Mul returns m times n.
func (m Money) Mul(n int64) Money { return Money{Amount: m.Amount * n, Currency: m.Currency} }

// Decimal returns the amount as an exact decimal string in major units with the currency's number of
// decimals: "19.99" for USD, "500" for JPY, "1.250" for KWD.
func (m Money) Decimal() string {
	exp := Exponent(m.Currency)
	neg := m.Amount < 0
	abs := uint64(m.Amount)
	if neg {
		abs = uint64(-m.Amount)
	}
	digits := strconv.FormatUint(abs, 10)
	if exp > 0 {
		if len(digits) <= exp {
			digits = strings.Repeat("0", exp-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// String formats m for logs and messages, e.g. "19.99 USD".
func (m Money) String() string { return m.Decimal() + " " + m.Currency }

// Parse reads a decimal string in major units ("19.99", "20", "-3.5") as an exact amount of currency.
// More decimals than the currency has is an error rather than a silent rounding.
func Parse(s, currency string) (Money, error) {
	if !ValidCurrency(currency) {
		return Money{}, fmt.Errorf("money: unknown currency %q", currency)
	}
	exp := Exponent(currency)
	str := strings.TrimSpace(s)
	neg := strings.HasPrefix(str, "-")
	str = strings.TrimPrefix(strings.TrimPrefix(str, "-"), "+")
	whole, frac, _ := strings.Cut(str, ".")
	if whole == "" && frac == "" || !allDigits(whole) || !allDigits(frac) {
		return Money{}, fmt.Errorf("money: %q is not a decimal amount", s)
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > exp {
		return Money{}, fmt.Errorf("money: %q has more than %d decimals for %s", s, exp, currency)
	}
	frac += strings.Repeat("0", exp-len(frac))
	if whole == "" {
		whole = "0"
	}
	// 18 digits keep every amount inside int64 with room for sums of many lines.
	if len(strings.TrimLeft(whole, "0"))+exp > 18 {
		return Money{}, fmt.Errorf("money: %q is too large", s)
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return Money{}, fmt.Errorf("money: %q: %w", s, err)
	}
	if neg {
		n = -n
	}
	return Money{Amount: n, Currency: currency}, nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
