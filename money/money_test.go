package money

import "testing"

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
