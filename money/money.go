// Package money holds amounts of money as integer minor units of an ISO 4217 currency, with exact
// conversion to and from decimal strings. Floats never touch an amount.
package money

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
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

// MaxUnitAmount bounds every amount that comes in for one unit or one charge: prices and compare-at
// prices, fixed discounts and their minimum subtotals, shipping rates and their thresholds. It is
// 100,000,000,000 minor units (1,000,000,000.00 in a two-decimal currency). With a cart's bounds (250
// lines of at most 1,000 units) no subtotal passes 2.5e16, far inside int64 (9.2e18) even with
// shipping and tax added, so totals cannot overflow.
const MaxUnitAmount int64 = 100_000_000_000

// MaxTotalAmount bounds an amount that stands for a whole cart or order, such as a payment: 10^17
// minor units, above any total the unit bounds allow.
const MaxTotalAmount int64 = 100_000_000_000_000_000

// ErrOutOfRange is returned for an amount beyond MaxUnitAmount or MaxTotalAmount, and by arithmetic
// whose result would not fit: the caller's input, never something to store.
var ErrOutOfRange = errors.New("money: amount out of range")

// CheckUnit returns ErrOutOfRange when m is beyond ±MaxUnitAmount.
func CheckUnit(m Money) error {
	if m.Amount > MaxUnitAmount || m.Amount < -MaxUnitAmount {
		return fmt.Errorf("%w: %s is more than %s", ErrOutOfRange, m.Decimal(), New(MaxUnitAmount, m.Currency).Decimal())
	}
	return nil
}

// CheckTotal returns ErrOutOfRange when m is beyond ±MaxTotalAmount.
func CheckTotal(m Money) error {
	if m.Amount > MaxTotalAmount || m.Amount < -MaxTotalAmount {
		return fmt.Errorf("%w: %s is more than %s", ErrOutOfRange, m.Decimal(), New(MaxTotalAmount, m.Currency).Decimal())
	}
	return nil
}

// Add returns m + o; both must be in the same currency, and the sum must fit.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("%w: %s + %s", ErrCurrencyMismatch, m.Currency, o.Currency)
	}
	sum := m.Amount + o.Amount
	if (o.Amount > 0 && sum < m.Amount) || (o.Amount < 0 && sum > m.Amount) {
		return Money{}, fmt.Errorf("%w: %s + %s overflows", ErrOutOfRange, m, o)
	}
	return Money{Amount: sum, Currency: m.Currency}, nil
}

// Mul returns m times n, or ErrOutOfRange when the product does not fit.
func (m Money) Mul(n int64) (Money, error) {
	p, ok := mul(m.Amount, n)
	if !ok {
		return Money{}, fmt.Errorf("%w: %s × %d overflows", ErrOutOfRange, m, n)
	}
	return Money{Amount: p, Currency: m.Currency}, nil
}

func mul(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	p := a * b
	if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return p, true
}

// MulDiv returns a × num / den rounded half away from zero, computed in 128 bits so that a large
// amount times a rate or a weight cannot overflow on the way. den must be positive and num not
// negative; the result fits whenever num <= den. It panics on a result that does not fit, which the
// bounds on amounts make impossible: a silent wrap would be worse.
func MulDiv(a, num, den int64) int64 {
	if den <= 0 || num < 0 {
		panic(fmt.Sprintf("money: MulDiv(%d, %d, %d)", a, num, den))
	}
	neg := a < 0
	ua := uint64(a)
	if neg {
		ua = uint64(-a)
	}
	hi, lo := bits.Mul64(ua, uint64(num))
	// Round half away from zero: adding floor(den/2) before dividing rounds a remainder of at least
	// half of den up, for odd den too.
	half := uint64(den) / 2
	var carry uint64
	lo, carry = bits.Add64(lo, half, 0)
	hi += carry
	if hi >= uint64(den) {
		panic(fmt.Sprintf("money: MulDiv(%d, %d, %d) overflows", a, num, den))
	}
	q, _ := bits.Div64(hi, lo, uint64(den))
	if q > math.MaxInt64 {
		panic(fmt.Sprintf("money: MulDiv(%d, %d, %d) overflows", a, num, den))
	}
	if neg {
		return -int64(q)
	}
	return int64(q)
}

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
		return Money{}, fmt.Errorf("%w: %q is too large", ErrOutOfRange, s)
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
