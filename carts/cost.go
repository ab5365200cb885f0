package carts

import (
	"errors"
	"fmt"

	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/money"
)

// LineCost is what a line costs.
type LineCost struct {
	PerUnit   money.Money
	CompareAt *money.Money
	Subtotal  money.Money
	Total     money.Money
}

// ErrNoPrice is returned for a line whose variant has no price in the cart's currency any more.
var ErrNoPrice = errors.New("carts: variant has no price in the cart's currency")

// CostOfLine prices a line from its variant's current prices, in currency.
func CostOfLine(l *ent.CartLine, prices []*ent.VariantPrice, currency string) (LineCost, error) {
	p, ok := catalog.PriceIn(prices, currency, currency)
	if !ok {
		return LineCost{}, fmt.Errorf("%w: variant %d, %s", ErrNoPrice, l.VariantID, currency)
	}
	sub := p.Amount.Mul(int64(l.Quantity))
	return LineCost{PerUnit: p.Amount, CompareAt: p.CompareAt, Subtotal: sub, Total: sub}, nil
}

// Cost is what a cart costs. Discounts, shipping and tax are not applied yet, so the total is the
// subtotal.
type Cost struct {
	Subtotal, Total money.Money
}

// CostOfCart sums its lines' costs.
func CostOfCart(currency string, lines []LineCost) (Cost, error) {
	sum := money.New(0, currency)
	for _, l := range lines {
		var err error
		if sum, err = sum.Add(l.Total); err != nil {
			return Cost{}, err
		}
	}
	return Cost{Subtotal: sum, Total: sum}, nil
}
