// Package discounts applies the shop's discounts to a cart.
//
// The rules, in order:
//   - A discount is live while it is active, started and not ended, under its usage limit, and (for
//     fixed amounts and minimum subtotals) in the cart's currency. Automatic discounts apply by
//     themselves; the others need their code in the cart.
//   - Its minimum (subtotal or quantity) is counted over the lines it targets: all lines for an order
//     discount, its products' or collections' lines otherwise.
//   - Product discounts (targeting products or collections, and buy-X-get-Y) do not stack: each line
//     gets the one that takes most off it.
//   - At most one order discount applies, the one that takes most off the subtotal left after product
//     discounts. When the product discounts applied and that order discount do not both allow combining,
//     the cart gets whichever of the two takes more off.
//   - Free shipping removes the shipping cost and combines with everything.
//   - Order discounts and fixed amounts are spread over their lines in proportion to the lines' amounts,
//     rounded so that the shares add up to the discount exactly (largest remainder).
package discounts

import (
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/discount"
	"github.com/emporium/emporium/money"
)

// Line is a cart line as discounts see it.
type Line struct {
	Key           int
	ProductID     int
	CollectionIDs []int
	UnitPrice     money.Money
	Quantity      int
}

func (l Line) total() int64 { return l.UnitPrice.Amount * int64(l.Quantity) }

// Input is a cart to discount.
type Input struct {
	Currency string
	Lines    []Line
	Shipping *money.Money
	Codes    []string
	Now      time.Time
	// Used holds the once-per-customer discounts the buyer has used already.
	Used map[int]bool
}

// UsageKeys identify a buyer for once-per-customer discounts: the customer when the cart has one, so
// that changing the cart's email does not make a new buyer, and the normalised email, which every
// completed cart has, so that a guest using the email of a customer who used the discount is the same
// buyer. A discount is used once a row holds any of the keys, and a use records a row for each. A
// customer's key ("customer:12") holds no "@", so it never equals an email's.
func UsageKeys(customerID *int, email *string) []string {
	var keys []string
	if customerID != nil {
		keys = append(keys, "customer:"+strconv.Itoa(*customerID))
	}
	if email != nil && strings.TrimSpace(*email) != "" {
		keys = append(keys, strings.ToLower(strings.TrimSpace(*email)))
	}
	return keys
}

// Allocation is what one discount takes off one line (or the shipping, LineKey 0).
type Allocation struct {
	Discount *ent.Discount
	LineKey  int
	Shipping bool
	Amount   money.Money
}

// Result is what the discounts take off.
type Result struct {
	Allocations []Allocation
	// Applicable tells, for each code in the cart, whether it took something off.
	Applicable map[string]bool
	// LineDiscount is the total taken off each line.
	LineDiscount     map[int]int64
	ShippingDiscount int64
	Total            money.Money
}

// Apply works out the discounts of in.
func Apply(all []*ent.Discount, in Input) Result {
	res := Result{Applicable: map[string]bool{}, LineDiscount: map[int]int64{}, Total: money.New(0, in.Currency)}
	codes := map[string]bool{}
	for _, c := range in.Codes {
		codes[strings.ToUpper(strings.TrimSpace(c))] = true
		res.Applicable[c] = false
	}
	var product, order, shipping []*ent.Discount
	for _, d := range all {
		if !live(d, in, codes) {
			continue
		}
		switch {
		case d.Kind == discount.KindFREE_SHIPPING:
			shipping = append(shipping, d)
		case d.Kind == discount.KindBUY_X_GET_Y || d.Target != discount.TargetORDER:
			product = append(product, d)
		default:
			order = append(order, d)
		}
	}

	// Product discounts: the best one for each line.
	productAllocs := map[int]Allocation{}
	for _, d := range product {
		lines := entitled(d, in.Lines)
		if !meetsMinimum(d, lines) {
			continue
		}
		for key, amount := range productDiscount(d, lines) {
			if amount > productAllocs[key].Amount.Amount {
				productAllocs[key] = Allocation{Discount: d, LineKey: key, Amount: money.New(amount, in.Currency)}
			}
		}
	}
	var productTotal int64
	productCombines := true
	for _, a := range productAllocs {
		productTotal += a.Amount.Amount
		productCombines = productCombines && a.Discount.CombinesWithOrder
	}

	// Order discounts: the best one on what is left.
	var best *ent.Discount
	var bestAmount int64
	leftTotal := func(ls []Line, off map[int]Allocation) int64 {
		var t int64
		for _, l := range ls {
			t += l.total() - off[l.Key].Amount.Amount
		}
		return t
	}
	for _, d := range order {
		if !meetsMinimum(d, in.Lines) {
			continue
		}
		with := orderAmount(d, leftTotal(in.Lines, productAllocs))
		if len(productAllocs) > 0 && !(productCombines && d.CombinesWithProduct) {
			// Not combinable: compare the order discount alone with the product discounts.
			alone := orderAmount(d, leftTotal(in.Lines, nil))
			if alone <= productTotal {
				continue
			}
			with = alone
		}
		if with > bestAmount {
			best, bestAmount = d, with
		}
	}
	if best != nil && len(productAllocs) > 0 && !(productCombines && best.CombinesWithProduct) {
		productAllocs = map[int]Allocation{} // the order discount won
	}
	for _, l := range in.Lines {
		if a, ok := productAllocs[l.Key]; ok {
			res.add(a)
		}
	}
	if best != nil {
		weights := make([]int64, len(in.Lines))
		for i, l := range in.Lines {
			weights[i] = l.total() - productAllocs[l.Key].Amount.Amount
		}
		for i, share := range spread(bestAmount, weights) {
			if share > 0 {
				res.add(Allocation{Discount: best, LineKey: in.Lines[i].Key, Amount: money.New(share, in.Currency)})
			}
		}
	}
	if in.Shipping != nil && in.Shipping.Amount > 0 {
		for _, d := range shipping {
			if meetsMinimum(d, in.Lines) {
				res.add(Allocation{Discount: d, Shipping: true, Amount: *in.Shipping})
				break
			}
		}
	}
	for c := range res.Applicable {
		upper := strings.ToUpper(strings.TrimSpace(c))
		for _, a := range res.Allocations {
			if a.Discount.Code != nil && *a.Discount.Code == upper {
				res.Applicable[c] = true
			}
		}
	}
	return res
}

func (r *Result) add(a Allocation) {
	r.Allocations = append(r.Allocations, a)
	if a.Shipping {
		r.ShippingDiscount += a.Amount.Amount
	} else {
		r.LineDiscount[a.LineKey] += a.Amount.Amount
	}
	r.Total.Amount += a.Amount.Amount
}

func live(d *ent.Discount, in Input, codes map[string]bool) bool {
	switch {
	case !d.Active, in.Now.Before(d.StartsAt), d.EndsAt != nil && !in.Now.Before(*d.EndsAt):
		return false
	case d.UsageLimit != nil && d.UsageCount >= *d.UsageLimit, d.OncePerCustomer && in.Used[d.ID]:
		return false
	case (d.Kind == discount.KindFIXED_AMOUNT || d.MinSubtotal > 0) && d.Currency != in.Currency:
		return false
	case !d.Automatic && (d.Code == nil || !codes[*d.Code]):
		return false
	}
	return true
}

func entitled(d *ent.Discount, lines []Line) []Line {
	var out []Line
	for _, l := range lines {
		switch d.Target {
		case discount.TargetPRODUCTS:
			if slices.Contains(d.ProductIds, l.ProductID) {
				out = append(out, l)
			}
		case discount.TargetCOLLECTIONS:
			if slices.ContainsFunc(d.CollectionIds, func(c int) bool { return slices.Contains(l.CollectionIDs, c) }) {
				out = append(out, l)
			}
		default:
			out = append(out, l)
		}
	}
	return out
}

func meetsMinimum(d *ent.Discount, lines []Line) bool {
	var subtotal int64
	quantity := 0
	for _, l := range lines {
		subtotal += l.total()
		quantity += l.Quantity
	}
	return len(lines) > 0 && subtotal >= d.MinSubtotal && quantity >= d.MinQuantity
}

// percentOf is bps basis points of amount, rounded half away from zero, in 128 bits: a cart's subtotal
// times a rate can pass int64.
func percentOf(amount int64, bps int) int64 { return money.MulDiv(amount, int64(bps), 10000) }

func orderAmount(d *ent.Discount, subtotal int64) int64 {
	if d.Kind == discount.KindPERCENTAGE {
		return percentOf(subtotal, d.PercentageBps)
	}
	return min(d.Amount, subtotal)
}

// productDiscount returns what d takes off each of its entitled lines.
func productDiscount(d *ent.Discount, lines []Line) map[int]int64 {
	out := map[int]int64{}
	switch d.Kind {
	case discount.KindPERCENTAGE:
		for _, l := range lines {
			out[l.Key] = percentOf(l.total(), d.PercentageBps)
		}
	case discount.KindFIXED_AMOUNT:
		weights := make([]int64, len(lines))
		var total int64
		for i, l := range lines {
			weights[i] = l.total()
			total += l.total()
		}
		for i, share := range spread(min(d.Amount, total), weights) {
			out[lines[i].Key] = share
		}
	case discount.KindBUY_X_GET_Y:
		if d.BuyQuantity <= 0 || d.GetQuantity <= 0 {
			return out
		}
		// Units by price, dearest first: in each group of buy+get units, the cheapest get units are
		// discounted.
		type unit struct {
			key   int
			price int64
		}
		var units []unit
		for _, l := range lines {
			for range l.Quantity {
				units = append(units, unit{l.Key, l.UnitPrice.Amount})
			}
		}
		sort.SliceStable(units, func(i, j int) bool { return units[i].price > units[j].price })
		group := d.BuyQuantity + d.GetQuantity
		for start := 0; start+group <= len(units); start += group {
			for _, u := range units[start+d.BuyQuantity : start+group] {
				out[u.key] += percentOf(u.price, d.PercentageBps)
			}
		}
	}
	return out
}

// spread divides amount over weights in proportion, the rounding remainders going to the largest
// fractions, so that the shares add up to amount exactly.
func spread(amount int64, weights []int64) []int64 {
	shares := make([]int64, len(weights))
	var total int64
	for _, w := range weights {
		total += max(w, 0)
	}
	if total == 0 || amount <= 0 {
		return shares
	}
	type rem struct {
		i    int
		frac int64
	}
	var rems []rem
	var given int64
	for i, w := range weights {
		w = max(w, 0)
		// amount × w can pass int64 (a cart's discount times a line's amount): divide in 128 bits.
		hi, lo := bits.Mul64(uint64(amount), uint64(w))
		q, r := bits.Div64(hi, lo, uint64(total))
		shares[i] = int64(q)
		given += shares[i]
		rems = append(rems, rem{i, int64(r)})
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].frac > rems[b].frac })
	for k := 0; given < amount; k++ {
		shares[rems[k%len(rems)].i]++
		given++
	}
	return shares
}
