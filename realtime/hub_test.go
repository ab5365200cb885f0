package realtime

import (
	"context"
	"testing"
	"time"
)

func TestHubCoalescesAndDropsTheSlow(t *testing.T) {
	h := NewHub(4, 0)
	var reason string
	slow, err := h.Subscribe("a", []string{Key(TopicOrder, "1"), TopicOrders}, func(r string) { reason = r })
	if err != nil {
		t.Fatal(err)
	}
	fast, _ := h.Subscribe("b", []string{TopicOrders}, nil)

	// Repeated changes of one resource wait once.
	for range 10 {
		h.Publish(Change{Topic: TopicOrder, ID: "1"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if c, ok := slow.Next(ctx); !ok || c.ID != "1" {
		t.Fatalf("first change: %+v %v", c, ok)
	}
	// Beyond its queue of 4 distinct changes, the slow subscriber is dropped; the fast one is not.
	for i := range 5 {
		h.Publish(Change{Topic: TopicOrders, ID: string(rune('a' + i)), Kind: "orders/paid"})
		if c, ok := fast.Next(ctx); !ok || c.Kind != "orders/paid" {
			t.Fatalf("fast subscriber: %+v %v", c, ok)
		}
	}
	if reason == "" || slow.Reason() == "" {
		t.Fatal("the slow subscriber was not dropped")
	}
	if _, ok := slow.Next(ctx); ok {
		t.Error("a dropped subscriber still receives")
	}
	if n := h.Subscribers(); n != 1 {
		t.Errorf("%d subscribers, want 1", n)
	}
}

func TestHubLimitsPerCaller(t *testing.T) {
	h := NewHub(0, 2)
	a, _ := h.Subscribe("x", []string{"k"}, nil)
	if _, err := h.Subscribe("x", []string{"k"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Subscribe("x", []string{"k"}, nil); err != ErrTooManyForCaller {
		t.Fatalf("third: %v", err)
	}
	if _, err := h.Subscribe("y", []string{"k"}, nil); err != nil {
		t.Fatalf("another caller: %v", err)
	}
	a.Close()
	if _, err := h.Subscribe("x", []string{"k"}, nil); err != nil {
		t.Fatalf("after one closed: %v", err)
	}
}
