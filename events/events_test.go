package events

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestMoneyOf checks that amounts travel as exact decimals in the currency's own precision.
func TestMoneyOf(t *testing.T) {
	for _, c := range []struct {
		amount   int64
		currency string
		want     string
	}{
		{9200, "USD", `{"amount":"92.00","currencyCode":"USD"}`},
		{5, "EUR", `{"amount":"0.05","currencyCode":"EUR"}`},
		{1500, "JPY", `{"amount":"1500","currencyCode":"JPY"}`},
		{-3066, "USD", `{"amount":"-30.66","currencyCode":"USD"}`},
	} {
		b, err := json.Marshal(MoneyOf(c.amount, c.currency))
		if err != nil || string(b) != c.want {
			t.Errorf("MoneyOf(%d, %s) = %s, %v; want %s", c.amount, c.currency, b, err, c.want)
		}
	}
}

// TestREADMEListsTopics keeps the README's list of recorded topics whole.
func TestREADMEListsTopics(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range Topics {
		if !strings.Contains(string(readme), "`"+topic+"`") {
			t.Errorf("README.md does not list the topic %s", topic)
		}
	}
}
