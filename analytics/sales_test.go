package analytics

import "testing"

func TestAverageRoundsHalfAwayFromZero(t *testing.T) {
	for _, c := range []struct {
		total Total
		want  int64
	}{
		{Total{Gross: 21467, Orders: 2}, 10734}, // 107.335 → 107.34
		{Total{Gross: 30667, Orders: 3}, 10222}, // 102.2233… → 102.22
		{Total{Gross: 500, Orders: 3}, 167},     // 1.666… → 1.67
		{Total{Gross: 0, Orders: 0}, 0},
	} {
		if got := c.total.Average(); got != c.want {
			t.Errorf("%+v: got %d, want %d", c.total, got, c.want)
		}
	}
}
