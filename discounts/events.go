package discounts

import (
	"context"
	"fmt"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
)

// Payload is a discount as discounts/create and discounts/update carry it: the Admin API's Discount,
// amounts as exact decimals with their currency.
type Payload struct {
	ID                           string        `json:"id"`
	Title                        string        `json:"title"`
	Code                         *string       `json:"code"`
	Automatic                    bool          `json:"automatic"`
	Kind                         string        `json:"kind"`
	Target                       string        `json:"target"`
	Percentage                   *float64      `json:"percentage"`
	Amount                       *events.Money `json:"amount"`
	MinimumSubtotal              *events.Money `json:"minimumSubtotal"`
	MinimumQuantity              int           `json:"minimumQuantity"`
	BuyQuantity                  int           `json:"buyQuantity"`
	GetQuantity                  int           `json:"getQuantity"`
	ProductIDs                   []string      `json:"productIds"`
	CollectionIDs                []string      `json:"collectionIds"`
	UsageLimit                   *int          `json:"usageLimit"`
	UsageCount                   int           `json:"usageCount"`
	OncePerCustomer              bool          `json:"oncePerCustomer"`
	StartsAt                     time.Time     `json:"startsAt"`
	EndsAt                       *time.Time    `json:"endsAt"`
	CombinesWithProductDiscounts bool          `json:"combinesWithProductDiscounts"`
	CombinesWithOrderDiscounts   bool          `json:"combinesWithOrderDiscounts"`
	Active                       bool          `json:"active"`
}

// DeletedPayload is what discounts/delete carries: only the ID.
type DeletedPayload struct {
	ID string `json:"id"`
}

// NewPayload is d as its events carry it.
func NewPayload(d *ent.Discount) Payload {
	p := Payload{ID: gid.Encode("Discount", d.ID), Title: d.Title, Code: d.Code, Automatic: d.Automatic,
		Kind: string(d.Kind), Target: string(d.Target), MinimumQuantity: d.MinQuantity, BuyQuantity: d.BuyQuantity,
		GetQuantity: d.GetQuantity, ProductIDs: []string{}, CollectionIDs: []string{}, UsageLimit: d.UsageLimit,
		UsageCount: d.UsageCount, OncePerCustomer: d.OncePerCustomer, StartsAt: d.StartsAt.UTC(),
		CombinesWithProductDiscounts: d.CombinesWithProduct, CombinesWithOrderDiscounts: d.CombinesWithOrder, Active: d.Active}
	if d.PercentageBps != 0 {
		pc := float64(d.PercentageBps) / 100
		p.Percentage = &pc
	}
	if d.Kind == "FIXED_AMOUNT" {
		m := events.MoneyOf(d.Amount, d.Currency)
		p.Amount = &m
	}
	if d.MinSubtotal != 0 {
		m := events.MoneyOf(d.MinSubtotal, d.Currency)
		p.MinimumSubtotal = &m
	}
	if d.EndsAt != nil {
		e := d.EndsAt.UTC()
		p.EndsAt = &e
	}
	for _, id := range d.ProductIds {
		p.ProductIDs = append(p.ProductIDs, gid.Encode("Product", id))
	}
	for _, id := range d.CollectionIds {
		p.CollectionIDs = append(p.CollectionIDs, gid.Encode("Collection", id))
	}
	return p
}

// record records topic for discount id as tx sees it now, after the change.
func (s *Service) record(ctx context.Context, tx *ent.Tx, topic string, id int) error {
	d, err := tx.Discount.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("discounts: read discount %d for %s: %w", id, topic, err)
	}
	return s.events.Record(ctx, tx, topic, "Discount", id, NewPayload(d))
}
