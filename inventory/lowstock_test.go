package inventory

import "testing"

func TestCrossed(t *testing.T) {
	three := 3
	for _, c := range []struct {
		before, after int
		threshold     *int
		want          bool
	}{
		{5, 3, &three, true},  // reaches it
		{4, 0, &three, true},  // jumps past it
		{5, 4, &three, false}, // stays above
		{3, 2, &three, false}, // already low: no second email
		{2, 5, &three, false}, // restocked
		{5, 0, nil, false},    // no threshold
	} {
		if got := Crossed(c.before, c.after, c.threshold); got != c.want {
			t.Errorf("Crossed(%d, %d, %v) = %v, want %v", c.before, c.after, c.threshold, got, c.want)
		}
	}
}
