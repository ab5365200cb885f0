package emails

import (
	"testing"

	"golang.org/x/text/language"
)

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		amount int64
		code   string
		lang   language.Tag
		want   string
	}{
		{123450, "USD", language.English, "$1,234.50"},
		{123450, "EUR", language.German, "1.234,50\u00a0€"},
		{5, "EUR", language.German, "0,05\u00a0€"},
		{123456789, "USD", language.English, "$1,234,567.89"},
		{-250, "USD", language.English, "-$2.50"},
		{1234, "JPY", language.English, "¥1,234"},
		{9200, "EUR", language.English, "€92.00"},
		{1234500, "USD", language.German, "12.345,00\u00a0$"},
		{-9223372036854775808, "USD", language.English, "-$92,233,720,368,547,758.08"},
	}
	for _, tt := range tests {
		if got := FormatAmount(tt.amount, tt.code, tt.lang); got != tt.want {
			t.Errorf("FormatAmount(%d, %s, %s) = %q, want %q", tt.amount, tt.code, tt.lang, got, tt.want)
		}
	}
}
