package money

import (
	"errors"
	"math"
	"testing"
)

func TestDecimal(t *testing.T) {
	tests := []struct {
		m    Money
		want string
	}{
		{New(1999, "USD"), "19.99"},
		{New(5, "USD"), "0.05"},
		{New(0, "EUR"), "0.00"},
		{New(-150, "EUR"), "-1.50"},
		{New(500, "JPY"), "500"},
		{New(1250, "KWD"), "1.250"},
		{New(9223372036854775807, "USD"), "92233720368547758.07"},
	}
	for _, tt := range tests {
		if got := tt.m.Decimal(); got != tt.want {
			t.Errorf("%#v.Decimal() = %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
		wantErr bool
	}{
		{"19.99", "USD", 1999, false},
		{"20", "USD", 2000, false},
		{"20.", "USD", 2000, false},
		{".5", "USD", 50, false},
		{"-3.5", "EUR", -350, false},
		{"0.10", "USD", 10, false},
		{"1.230", "USD", 123, false},
		{"500", "JPY", 500, false},
		{"1.5", "JPY", 0, true},
		{"1.001", "USD", 0, true},
		{"abc", "USD", 0, true},
		{"", "USD", 0, true},
		{".", "USD", 0, true},
		{"1e3", "USD", 0, true},
		{"1,00", "USD", 0, true},
		{"10", "usd", 0, true},
		{"99999999999999999999", "USD", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in+"_"+tt.cur, func(t *testing.T) {
			got, err := Parse(tt.in, tt.cur)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q, %q) error = %v, wantErr %v", tt.in, tt.cur, err, tt.wantErr)
			}
			if !tt.wantErr && got.Amount != tt.want {
				t.Errorf("Parse(%q, %q) = %d, want %d", tt.in, tt.cur, got.Amount, tt.want)
			}
		})
	}
}

func TestAddCurrencyMismatch(t *testing.T) {
	if _, err := New(1, "USD").Add(New(1, "EUR")); err == nil {
		t.Fatal("adding USD and EUR succeeded, want an error")
	}
	sum, err := New(199, "USD").Add(New(1, "USD"))
	if err != nil || sum != New(200, "USD") {
		t.Fatalf("199 + 1 cents = %v, %v; want 2.00 USD", sum, err)
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"19.99", "0", "-1.5", "12345678901234.56"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(s, "USD")
		if err != nil {
			return
		}
		back, err := Parse(m.Decimal(), "USD")
		if err != nil || back != m {
			t.Fatalf("round trip of %q: %v -> %q -> %v, %v", s, m, m.Decimal(), back, err)
		}
	})
}

func TestArithmeticIsChecked(t *testing.T) {
	big := New(math.MaxInt64-1, "USD")
	if _, err := big.Add(New(2, "USD")); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("MaxInt64-1 + 2: err %v, want ErrOutOfRange", err)
	}
	if _, err := New(math.MinInt64+1, "USD").Add(New(-2, "USD")); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("MinInt64+1 - 2: err %v, want ErrOutOfRange", err)
	}
	// The overflow: 99999999999999.99 × 1,000 wrapped to a negative subtotal.
	if _, err := New(9999999999999999, "USD").Mul(1000); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("9999999999999999 × 1000: err %v, want ErrOutOfRange", err)
	}
	if got, err := New(-3, "USD").Mul(7); err != nil || got.Amount != -21 {
		t.Errorf("-3 × 7 = %v, %v", got, err)
	}
}

func TestMulDiv(t *testing.T) {
	for _, tt := range []struct{ a, num, den, want int64 }{
		{1999, 1900, 10000, 380},   // 379.81
		{-1999, 1900, 10000, -380}, // half away from zero, negative
		{5, 5000, 10000, 3},        // 2.5 rounds up
		{-5, 5000, 10000, -3},      // -2.5 rounds down
		{119, 1900, 11900, 19},     // inclusive tax, odd-free
		{25_000_000_000_000_000, 2500, 10000, 6_250_000_000_000_000}, // a × num passes int64
		{math.MaxInt64, 1, 1, math.MaxInt64},
	} {
		if got := MulDiv(tt.a, tt.num, tt.den); got != tt.want {
			t.Errorf("MulDiv(%d, %d, %d) = %d, want %d", tt.a, tt.num, tt.den, got, tt.want)
		}
	}
}

func TestBounds(t *testing.T) {
	if err := CheckUnit(New(MaxUnitAmount, "USD")); err != nil {
		t.Errorf("the largest unit amount: %v", err)
	}
	if err := CheckUnit(New(MaxUnitAmount+1, "USD")); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("above the largest unit amount: %v", err)
	}
	if _, err := Parse("1000000000000000000", "USD"); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("Parse of 19 digits: %v", err)
	}
}
