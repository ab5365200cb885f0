package netguard

import (
	"errors"
	"net/netip"
	"testing"
)

func TestAllowed(t *testing.T) {
	allow, err := ParsePrefixes([]string{"10.9.0.0/16", "192.168.1.5", ""})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"93.184.215.14": true, "127.0.0.1": false, "169.254.169.254": false, "10.1.2.3": false,
		"10.9.8.7": true, "192.168.1.5": true, "192.168.1.6": false, "::ffff:10.9.0.1": true, "fd00::1": false,
	} {
		if got := Allowed(netip.MustParseAddr(addr), allow); got != want {
			t.Errorf("Allowed(%s) = %v, want %v", addr, got, want)
		}
	}
	if _, err := ParsePrefixes([]string{"not-a-cidr"}); err == nil {
		t.Error("ParsePrefixes accepted a bad prefix")
	}
	if err := Control(nil)("tcp", "169.254.169.254:80", nil); !errors.Is(err, ErrRefused) {
		t.Errorf("Control: %v, want ErrRefused", err)
	}
}
