package graph

import "testing"

func TestBPSDecimal(t *testing.T) {
	for _, tt := range []struct {
		bps, places int
		want        string
	}{
		{1900, 4, "0.19"}, {1900, 2, "19"}, {575, 4, "0.0575"}, {575, 2, "5.75"}, {550, 2, "5.5"}, {0, 4, "0"}, {10000, 4, "1"}, {7, 2, "0.07"},
	} {
		if got := bpsDecimal(tt.bps, tt.places); got != tt.want {
			t.Errorf("bpsDecimal(%d, %d) = %q, want %q", tt.bps, tt.places, got, tt.want)
		}
	}
}
