// Package netguard keeps outgoing requests whose address a caller chooses (media fetched from a URL,
// webhook callbacks) off this machine, the private network, link-local addresses (cloud metadata
// services) and other reserved ranges. The check runs in the dialer, after a name is resolved and before
// each connection, so it sees the address actually dialled: a name that resolves to a public address
// once and a private one later (DNS rebinding) is still refused.
package netguard

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// ErrRefused is a connection refused because its address is not public (and not allowed).
var ErrRefused = errors.New("not a public address")

// reserved are ranges that are not on the public Internet, beyond those net/netip names.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 reaches IPv4 addresses, private ones too
	netip.MustParsePrefix("2001:db8::/32"),
}

// Public reports whether addr is on the public Internet.
func Public(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsGlobalUnicast() || addr.IsPrivate() || addr.IsLoopback() || addr.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// Allowed reports whether addr may be connected to: it is public, or in one of the allowed prefixes
// (tests, a shop's own internal servers).
func Allowed(addr netip.Addr, allow []netip.Prefix) bool {
	addr = addr.Unmap()
	for _, p := range allow {
		if p.Contains(addr) {
			return true
		}
	}
	return Public(addr)
}

// Control is a net.Dialer Control function refusing addresses that are not Allowed.
func Control(allow []netip.Prefix) func(network, address string, c syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("netguard: %w", err)
		}
		if !Allowed(ap.Addr(), allow) {
			return fmt.Errorf("%s: %w", ap.Addr(), ErrRefused)
		}
		return nil
	}
}

// Dialer returns a dialer that connects only to Allowed addresses.
func Dialer(allow []netip.Prefix, timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, Control: Control(allow)}
}

// ParsePrefixes reads a comma-separated list of CIDR prefixes or single addresses.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("netguard: %q is neither an address nor a prefix", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
