package payments

import (
	"context"
	"testing"

	"github.com/emporium/emporium/money"
)

func TestTestGateway(t *testing.T) {
	ctx := context.Background()
	g := NewTestGateway()
	amount := money.New(12634, "USD")

	ok, err := g.Authorize(ctx, Request{IdempotencyKey: "k1", Amount: amount, Source: CardSuccess})
	if err != nil || ok.Status != Authorized || ok.Reference == "" {
		t.Fatalf("success card: %+v %v", ok, err)
	}
	again, _ := g.Authorize(ctx, Request{IdempotencyKey: "k1", Amount: amount, Source: CardSuccess})
	if again != ok || g.Charges() != 1 {
		t.Errorf("retry with the same key: %+v, %d charges", again, g.Charges())
	}
	if res, _ := g.Authorize(ctx, Request{IdempotencyKey: "k2", Amount: amount, Source: CardDecline}); res.Status != Declined {
		t.Errorf("decline card: %+v", res)
	}
	if _, err := g.Authorize(ctx, Request{IdempotencyKey: "k3", Amount: amount, Source: CardError}); err == nil {
		t.Error("error card succeeded")
	}
	action, _ := g.Authorize(ctx, Request{IdempotencyKey: "k4", Amount: amount, Source: CardRequiresAction})
	if action.Status != RequiresAction || action.ActionURL == "" {
		t.Errorf("3-D Secure card: %+v", action)
	}
	if res, _ := g.Capture(ctx, action.Reference, amount); res.Status == Captured {
		t.Error("captured a payment that still requires action")
	}
	if res, _ := g.Confirm(ctx, action.Reference); res.Status != Authorized {
		t.Errorf("confirm: %+v", res)
	}
	refused, _ := g.Authorize(ctx, Request{IdempotencyKey: "k5", Amount: amount, Source: CardActionThenDecline})
	if res, _ := g.Confirm(ctx, refused.Reference); refused.Status != RequiresAction || res.Status != Declined {
		t.Errorf("3-D Secure then decline: %+v, confirmed %+v", refused, res)
	}
	if res, _ := g.Capture(ctx, refused.Reference, amount); res.Status == Captured {
		t.Error("captured a payment declined after 3-D Secure")
	}

	if res, _ := g.Capture(ctx, ok.Reference, money.New(99999, "USD")); res.Status == Captured {
		t.Error("captured more than authorized")
	}
	if res, _ := g.Capture(ctx, ok.Reference, amount); res.Status != Captured {
		t.Errorf("capture: %+v", res)
	}
	if res, _ := g.Refund(ctx, ok.Reference, money.New(5000, "USD")); res.Status != Refunded {
		t.Errorf("partial refund: %+v", res)
	}
	if res, _ := g.Refund(ctx, ok.Reference, money.New(8000, "USD")); res.Message == "" {
		t.Error("refunded more than was captured")
	}
	if res, _ := g.Void(ctx, action.Reference); res.Status != Voided {
		t.Errorf("void: %+v", res)
	}
	if _, err := g.Capture(ctx, "pay_unknown", amount); err == nil {
		t.Error("captured an unknown payment")
	}
}

func TestManual(t *testing.T) {
	res, err := Manual{}.Authorize(context.Background(), Request{Amount: money.New(100, "EUR")})
	if err != nil || res.Status != Pending {
		t.Errorf("manual: %+v %v", res, err)
	}
}
