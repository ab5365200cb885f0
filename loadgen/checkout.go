package loadgen

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// testCard is the card number Emporium's test payment gateway accepts.
const testCard = "4242424242424242"

// inventoryCode is the completion error of a variant that ran out of stock.
const inventoryCode = "INVENTORY_RESERVATION_ERROR"

// maxPolls bounds how long a checkout waits for its order.
const maxPolls = 20

// errSoldOut ends the checkout workers: a run long enough buys the whole stock.
var errSoldOut = errors.New("loadgen: every purchasable variant is sold out")

var (
	stepCheckoutCart   = step{op: "cartCreate", field: "cartCreate", query: checkoutCartQuery}
	stepSelectDelivery = step{op: "cartSelectedDeliveryOptionsUpdate", field: "cartSelectedDeliveryOptionsUpdate", query: selectDeliveryQuery}
	stepPayment        = step{op: "cartPaymentUpdate", field: "cartPaymentUpdate", query: paymentQuery}
	stepSubmit         = step{op: "cartSubmitForCompletion", field: "cartSubmitForCompletion", query: submitQuery}
	stepAttempt        = step{op: "cartCompletionAttempt", field: "cartCompletionAttempt", query: attemptQuery}
)

// checkout buys one unit of a variant as a guest shipping to Ohio: a cart with the buyer and the
// address, the standard delivery option, the payment of the total, the submission, then polling until
// the order exists.
func checkout(ctx context.Context, w *worker) error {
	v, err := w.stockedVariant()
	if err != nil {
		return err
	}
	var created checkoutCart
	vars := map[string]any{"lines": []map[string]any{{"merchandiseId": v.id, "quantity": 1}}, "email": "loadgen@example.com"}
	if err := w.call(ctx, stepCheckoutCart, vars, &created); err != nil {
		return err
	}
	cartID, total := created.Cart.ID, created.Cart.Cost.TotalAmount
	// A cart of things that do not ship (gift cards, downloads) has no delivery group to choose in.
	if groups := created.Cart.DeliveryGroups.Nodes; len(groups) > 0 {
		var selected deliveryPayload
		vars = map[string]any{"cartId": cartID, "groupId": groups[0].ID, "handle": deliveryHandle(groups[0].DeliveryOptions)}
		if err := w.call(ctx, stepSelectDelivery, vars, &selected); err != nil {
			return err
		}
		total = selected.Cart.Cost.TotalAmount
	}
	var paid mutationPayload
	vars = map[string]any{"cartId": cartID, "amount": total.Amount, "currency": total.CurrencyCode, "session": testCard}
	if err := w.call(ctx, stepPayment, vars, &paid); err != nil {
		return err
	}
	var submitted submitPayload
	token := fmt.Sprintf("loadgen-%016x%016x", w.rng.Uint64(), w.rng.Uint64())
	err = w.call(ctx, stepSubmit, map[string]any{"cartId": cartID, "token": token}, &submitted)
	if errorCode(err) == inventoryCode {
		v.soldOut()
	}
	if err != nil {
		return err
	}
	return w.awaitOrder(ctx, submitted.Result.AttemptID, v)
}

// awaitOrder polls a completion attempt as the storefront's thank-you page does.
func (w *worker) awaitOrder(ctx context.Context, attemptID string, v *stockVariant) error {
	for range maxPolls {
		var a attemptResult
		err := w.call(ctx, stepAttempt, map[string]any{"attemptId": attemptID}, &a)
		if errorCode(err) == inventoryCode {
			v.soldOut()
		}
		if err != nil {
			return err
		}
		if a.Typename == "CartCompletionSuccess" {
			w.checkouts++
			return nil
		}
		delay := min(time.Duration(a.PollDelay)*time.Millisecond, time.Second)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
	return checkFailed("attempt %s still processing after %d polls", attemptID, maxPolls)
}

// errorCode is the GraphQL or submission error code of a failed request, if any.
func errorCode(err error) string {
	var re *RequestError
	if errors.As(err, &re) {
		return re.Code
	}
	return ""
}

// stockedVariant picks a variant and takes a unit of it.
func (w *worker) stockedVariant() (*stockVariant, error) {
	all := w.cat.stocked
	if len(all) == 0 {
		return nil, errSoldOut
	}
	start := w.rng.IntN(len(all))
	for i := range all {
		if v := all[(start+i)%len(all)]; v.take() {
			return v, nil
		}
	}
	return nil, errSoldOut
}

// deliveryHandle prefers the standard rate, as most buyers do.
func deliveryHandle(options []deliveryOption) string {
	for _, o := range options {
		if o.Handle == "standard" {
			return o.Handle
		}
	}
	return options[0].Handle
}

type deliveryOption struct {
	Handle string `json:"handle"`
}

type checkoutCart struct {
	Cart *struct {
		ID   string `json:"id"`
		Cost struct {
			TotalAmount moneyV2 `json:"totalAmount"`
		} `json:"cost"`
		DeliveryGroups struct {
			Nodes []struct {
				ID              string           `json:"id"`
				DeliveryOptions []deliveryOption `json:"deliveryOptions"`
			} `json:"nodes"`
		} `json:"deliveryGroups"`
	} `json:"cart"`
	UserErrors []userError `json:"userErrors"`
}

func (p *checkoutCart) problem() error {
	if err := userErrorsProblem(p.UserErrors); err != nil {
		return err
	}
	switch {
	case p.Cart == nil:
		return checkFailed("no cart and no userErrors")
	case len(p.Cart.DeliveryGroups.Nodes) > 0 && len(p.Cart.DeliveryGroups.Nodes[0].DeliveryOptions) == 0:
		return checkFailed("cart %s has no delivery option to the address", p.Cart.ID)
	}
	return nil
}

type moneyV2 struct {
	Amount       string `json:"amount"`
	CurrencyCode string `json:"currencyCode"`
}

type deliveryPayload struct {
	Cart *struct {
		Cost struct {
			TotalAmount moneyV2 `json:"totalAmount"`
		} `json:"cost"`
	} `json:"cart"`
	UserErrors []userError `json:"userErrors"`
}

func (p *deliveryPayload) problem() error {
	if err := userErrorsProblem(p.UserErrors); err != nil {
		return err
	}
	if p.Cart == nil {
		return checkFailed("no cart and no userErrors")
	}
	return nil
}

// mutationPayload is a cart mutation whose cart is not read.
type mutationPayload struct {
	UserErrors []userError `json:"userErrors"`
}

func (p *mutationPayload) problem() error { return userErrorsProblem(p.UserErrors) }

type submissionError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type submitPayload struct {
	Result *struct {
		Typename  string            `json:"__typename"`
		AttemptID string            `json:"attemptId"`
		Errors    []submissionError `json:"errors"`
	} `json:"result"`
	UserErrors []userError `json:"userErrors"`
}

func (p *submitPayload) problem() error {
	if err := userErrorsProblem(p.UserErrors); err != nil {
		return err
	}
	switch {
	case p.Result == nil:
		return checkFailed("no result and no userErrors")
	case p.Result.Typename == "SubmitSuccess" || p.Result.Typename == "SubmitAlreadyAccepted":
		return nil
	case len(p.Result.Errors) > 0:
		e := p.Result.Errors[0]
		return &RequestError{Kind: KindCheck, Code: e.Code, Message: "submission failed: " + e.Message}
	}
	return checkFailed("submission answered %s", p.Result.Typename)
}

type attemptResult struct {
	Typename  string            `json:"__typename"`
	OrderID   string            `json:"orderId"`
	PollDelay int               `json:"pollDelay"`
	Errors    []submissionError `json:"errors"`
}

func (a *attemptResult) problem() error {
	switch a.Typename {
	case "CartCompletionSuccess":
		if a.OrderID == "" {
			return checkFailed("completion succeeded without an order")
		}
		return nil
	case "CartCompletionProcessing":
		return nil
	case "CartCompletionFailed":
		if len(a.Errors) > 0 {
			return &RequestError{Kind: KindCheck, Code: a.Errors[0].Code, Message: "completion failed: " + a.Errors[0].Message}
		}
	}
	return checkFailed("completion attempt answered %s", a.Typename)
}
