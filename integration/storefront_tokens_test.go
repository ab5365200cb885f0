package integration

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emporium/emporium/service"
	"github.com/emporium/emporium/storefronttokens"
)

// storefrontToken is what storefrontAccessTokenCreate answers.
type storefrontToken struct {
	ID, Title, Prefix string
	AccessToken       *string
	Private           bool
	AccessScopes      []struct{ Handle string }
}

const createStorefrontToken = `mutation($title: String!, $private: Boolean) {
	storefrontAccessTokenCreate(input: {title: $title, private: $private}) {
		storefrontAccessToken { id title accessToken private prefix accessScopes { handle } createdAt updatedAt }
		userErrors { field message code } } }`

// newStorefrontToken creates a token as the owner and returns it with its secret.
func newStorefrontToken(t *testing.T, s *server, owner, title string, private bool) storefrontToken {
	t.Helper()
	var out struct {
		StorefrontAccessTokenCreate struct {
			StorefrontAccessToken *storefrontToken
			UserErrors            []userError
		}
	}
	s.queryAs(t, bearer(owner), createStorefrontToken, map[string]any{"title": title, "private": private}, &out)
	tok := out.StorefrontAccessTokenCreate.StorefrontAccessToken
	if tok == nil || tok.AccessToken == nil {
		t.Fatalf("create %s: %+v", title, out)
	}
	return *tok
}

// directToken creates a token through the storefront token service, for tests whose buckets are too
// small for a staff login.
func directToken(t *testing.T, s *server, title string, private bool) storefrontToken {
	t.Helper()
	tok, secret, errs, err := s.svc.StorefrontTokens.Create(context.Background(), storefronttokens.CreateInput{Title: title, Private: private})
	if err != nil || errs.Any() {
		t.Fatalf("create %s: %v %v", title, err, errs)
	}
	return storefrontToken{ID: tok.GlobalID(), Title: title, AccessToken: &secret, Private: private}
}

func publicToken(secret string) http.Header {
	return http.Header{"X-Shopify-Storefront-Access-Token": {secret}}
}

func privateToken(secret, buyer string) http.Header {
	h := http.Header{"Shopify-Storefront-Private-Token": {secret}}
	if buyer != "" {
		h.Set("Shopify-Storefront-Buyer-IP", buyer)
	}
	return h
}

// TestStorefrontAccessTokens: staff with MANAGE_APPS create, list and delete public and private tokens;
// a storefront's requests with a token are served, with an unknown or deleted one refused with 401
// (never an internal error), and the buyer's address counts only with a private token.
func TestStorefrontAccessTokens(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		const shop = `{ shop { name } }`
		// Until the shop has a token, a storefront's public token header means nothing, as before.
		if r := s.postAs(t, publicToken("a-shopify-token-from-a-template"), shop, nil); r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("a public token header before any token exists: %d %+v", r.Status, r.Errors)
		}
		if r := s.postAs(t, privateToken("empsfp_unknown", ""), shop, nil); r.Status != http.StatusUnauthorized || r.Errors[0].code() != "UNAUTHENTICATED" {
			t.Fatalf("an unknown private token: %d %+v", r.Status, r.Errors)
		}

		owner := staffLogin(t, s, ownerEmail, ownerPassword)
		web := newStorefrontToken(t, s, owner, "Web", false)
		server := newStorefrontToken(t, s, owner, "Next.js server", true)
		if !strings.HasPrefix(*web.AccessToken, "empsf_") || web.Private || len(web.AccessScopes) == 0 ||
			!strings.HasPrefix(*server.AccessToken, "empsfp_") || !server.Private || !strings.HasPrefix(*server.AccessToken, server.Prefix) {
			t.Fatalf("tokens: %+v %+v", web, server)
		}

		r := s.postAs(t, bearer(owner), createStorefrontToken, map[string]any{"title": " "})
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"code":"BLANK"`) {
			t.Errorf("a blank title: %s %+v", r.Data, r.Errors)
		}
		if r := s.post(t, createStorefrontToken, map[string]any{"title": "x"}); len(r.Errors) == 0 || r.Errors[0].code() != "UNAUTHENTICATED" {
			t.Errorf("an anonymous create: %s %+v", r.Data, r.Errors)
		}

		// The list shows a public token's secret and never a private one's.
		var list struct {
			StorefrontAccessTokens struct{ Nodes []storefrontToken }
		}
		s.queryAs(t, bearer(owner), `{ storefrontAccessTokens(first: 10) { nodes { id title accessToken private prefix } } }`, nil, &list)
		nodes := list.StorefrontAccessTokens.Nodes
		if len(nodes) != 2 || nodes[0].ID != server.ID || nodes[0].AccessToken != nil ||
			nodes[1].ID != web.ID || nodes[1].AccessToken == nil || *nodes[1].AccessToken != *web.AccessToken {
			t.Fatalf("list: %+v", nodes)
		}
		var node struct{ Node *struct{ Title string } }
		s.queryAs(t, bearer(owner), `query($id: ID!) { node(id: $id) { ... on StorefrontAccessToken { title } } }`, map[string]any{"id": web.ID}, &node)
		if node.Node == nil || node.Node.Title != "Web" {
			t.Errorf("node: %+v", node)
		}

		for _, tc := range []struct {
			name   string
			header http.Header
			status int
			code   string
		}{
			{"public token", publicToken(*web.AccessToken), http.StatusOK, ""},
			{"public token, a buyer address ignored", http.Header{"X-Shopify-Storefront-Access-Token": {*web.AccessToken}, "Shopify-Storefront-Buyer-IP": {"not an address"}}, http.StatusOK, ""},
			{"private token", privateToken(*server.AccessToken, ""), http.StatusOK, ""},
			{"private token with an IPv4 buyer", privateToken(*server.AccessToken, "203.0.113.7"), http.StatusOK, ""},
			{"private token with an IPv6 buyer", privateToken(*server.AccessToken, "2001:db8::1"), http.StatusOK, ""},
			{"private token with a malformed buyer", privateToken(*server.AccessToken, "203.0.113"), http.StatusBadRequest, "BAD_REQUEST"},
			{"unknown public token, once tokens exist", publicToken("a-shopify-token-from-a-template"), http.StatusUnauthorized, "UNAUTHENTICATED"},
			{"private token in the public header", publicToken(*server.AccessToken), http.StatusUnauthorized, "UNAUTHENTICATED"},
			{"public token in the private header", privateToken(*web.AccessToken, ""), http.StatusUnauthorized, "UNAUTHENTICATED"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := s.postAs(t, tc.header, shop, nil)
				got := ""
				if len(r.Errors) > 0 {
					got = r.Errors[0].code()
				}
				if r.Status != tc.status || got != tc.code {
					t.Errorf("status %d, code %q; want %d, %q (%+v)", r.Status, got, tc.status, tc.code, r.Errors)
				}
			})
		}

		// Deleted, a token is refused on its next request; deleting it again is a userError.
		const del = `mutation($id: ID!) { storefrontAccessTokenDelete(input: {id: $id}) { deletedStorefrontAccessTokenId userErrors { field message code } } }`
		var deleted struct {
			StorefrontAccessTokenDelete struct {
				DeletedStorefrontAccessTokenID *string
				UserErrors                     []userError
			}
		}
		s.queryAs(t, bearer(owner), del, map[string]any{"id": server.ID}, &deleted)
		if got := deleted.StorefrontAccessTokenDelete.DeletedStorefrontAccessTokenID; got == nil || *got != server.ID {
			t.Fatalf("delete: %+v", deleted)
		}
		if r := s.postAs(t, privateToken(*server.AccessToken, ""), shop, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("a deleted private token: %d %+v", r.Status, r.Errors)
		}
		s.queryAs(t, bearer(owner), del, map[string]any{"id": server.ID}, &deleted)
		if ue := deleted.StorefrontAccessTokenDelete.UserErrors; len(ue) != 1 || ue[0].Code == nil || *ue[0].Code != "NOT_FOUND" {
			t.Errorf("deleting again: %+v", deleted)
		}
		// Staff writes are audited, naming the token.
		var audit struct {
			AuditLog struct {
				Nodes []struct{ Action, Resource string }
			}
		}
		s.queryAs(t, bearer(owner), `{ auditLog(first: 10) { nodes { action resource } } }`, nil, &audit)
		if n := audit.AuditLog.Nodes; len(n) < 3 || n[0].Action != "storefrontAccessTokenDelete" || n[0].Resource != server.ID ||
			n[len(n)-1].Action != "storefrontAccessTokenCreate" {
			t.Errorf("audit log: %+v", n)
		}
		// The public token's cached answers do not outlive it either: the check comes before the cache.
		s.queryAs(t, publicToken(*web.AccessToken), shop, nil, nil)
		s.queryAs(t, bearer(owner), del, map[string]any{"id": web.ID}, &deleted)
		if r := s.postAs(t, publicToken(*web.AccessToken), shop, nil); r.Status != http.StatusOK || len(r.Errors) > 0 {
			// The shop has no token left: a public token header means nothing again.
			t.Errorf("a public token after the last was deleted: %d %+v", r.Status, r.Errors)
		}
	})
}

// TestRefuseAnonymousStorefront: with EMPORIUM_STOREFRONT_ANONYMOUS=refuse, a call with neither
// credentials nor a storefront token is refused with 401; a staff login and a call with a token are not.
func TestRefuseAnonymousStorefront(t *testing.T) {
	eachFreshDB(t, func(o *service.Options) { withOwner(nil)(o); o.RefuseAnonymous = true }, func(t *testing.T, s *server) {
		if r := s.post(t, `{ shop { name } }`, nil); r.Status != http.StatusUnauthorized || len(r.Errors) == 0 || r.Errors[0].code() != "UNAUTHENTICATED" {
			t.Fatalf("anonymous: %d %+v", r.Status, r.Errors)
		}
		owner := staffLogin(t, s, ownerEmail, ownerPassword)
		web := newStorefrontToken(t, s, owner, "Web", false)
		s.queryAs(t, publicToken(*web.AccessToken), `{ shop { name } }`, nil, nil)
	})
}

// fromAddr is an HTTP client whose connections come from local, one of the loopback addresses, so that
// the server sees another client address.
func fromAddr(local string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 128}}
}

func throttled(r response) bool {
	for _, e := range r.Errors {
		if e.code() == "THROTTLED" {
			return true
		}
	}
	return false
}

// TestStorefrontTokenBuckets: a public token's requests draw on a bucket per client address, so one
// abusive address through a token is throttled while another address through the same token, and
// anonymous callers, are not; a private token's draw on a bucket per buyer address that its server
// names, and all of them on the token's budget.
func TestStorefrontTokenBuckets(t *testing.T) {
	configure := func(o *service.Options) {
		o.RateCapacity, o.RestoreRate = 2_000, 1
		o.TokenRateCapacity, o.TokenRestoreRate = 5_000, 1
	}
	eachFreshDB(t, configure, func(t *testing.T, s *server) {
		// A full page (40 of the demo shop's 44 products), so that it actually costs what it requests.
		const q = `{ products(first: 40) { nodes { id title handle vendor description descriptionHtml productType tags createdAt updatedAt availableForSale publishedAt } } }`
		// Made through the service: a staff login costs 250,000, more than these buckets hold.
		web, server := directToken(t, s, "Web", false), directToken(t, s, "Next.js server", true)
		abuser, other := fromAddr("127.0.0.2"), fromAddr("127.0.0.3")
		send := func(c *http.Client, h http.Header) response {
			t.Helper()
			r, err := s.sendWith(c, h, map[string]any{"query": q})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		// The abusive address spends its bucket under the public token...
		n := 0
		for ; n < 100 && !throttled(send(abuser, publicToken(*web.AccessToken))); n++ {
		}
		if n == 100 || n < 2 {
			t.Fatalf("the abusive address was throttled after %d requests, want a few", n)
		}
		// ...and stays throttled, while another address through the same token, and anonymous callers
		// from both, have their own buckets.
		if r := send(abuser, publicToken(*web.AccessToken)); !throttled(r) {
			t.Errorf("the abusive address again: %+v", r.Errors)
		}
		for name, r := range map[string]response{
			"another address, same public token": send(other, publicToken(*web.AccessToken)),
			"the abusive address, anonymous":     send(abuser, nil),
			"the abusive address, private token": send(abuser, privateToken(*server.AccessToken, "")),
		} {
			if r.Status != http.StatusOK || len(r.Errors) > 0 {
				t.Errorf("%s: %d %+v", name, r.Status, r.Errors)
			}
		}

		// A private token: one buyer address spends its bucket; another buyer through the same server
		// is served; the token's budget (5,000) bounds them all, however many buyers the server names.
		abusive := n
		n = 0
		for ; n < 100 && !throttled(send(http.DefaultClient, privateToken(*server.AccessToken, "198.51.100.1"))); n++ {
		}
		if n == 100 {
			t.Fatal("one buyer address was never throttled")
		}
		if r := send(http.DefaultClient, privateToken(*server.AccessToken, "198.51.100.2")); r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Errorf("another buyer: %d %+v", r.Status, r.Errors)
		}
		buyers := 0
		for ; buyers < 200; buyers++ {
			r := send(http.DefaultClient, privateToken(*server.AccessToken, fmt.Sprintf("198.51.101.%d", buyers)))
			if throttled(r) {
				if !strings.Contains(r.Errors[0].Message, "storefront token's budget") {
					t.Errorf("throttled by %q, want the token's budget", r.Errors[0].Message)
				}
				break
			}
		}
		if buyers == 200 {
			t.Error("the private token's budget never ran out")
		}
		t.Logf("public token: the abusive address throttled after %d requests; private token: budget spent after %d more buyers", abusive, buyers)
	})
}

// storefrontListing is the n-th of a storefront's distinct listing and search requests, shaped as
// Next.js Commerce sends them: products(first: 100) with variants(first: 250) and images(first: 20),
// by each sort key, and searches. first, about 100, sets apart the sets of a test (and so their answers
// in the response cache).
func storefrontListing(n, first int) map[string]any {
	sorts := []string{"RELEVANCE", "BEST_SELLING", "CREATED_AT", "PRICE"}
	words := []string{"", "cotton", "tee", "shirt", "bag", "mug", "wool", "linen", "socks", "hat", "green", "black"}
	vars := map[string]any{"first": first, "sortKey": sorts[n%len(sorts)], "reverse": n/len(sorts)%2 == 1, "query": words[n/(2*len(sorts))%len(words)]}
	if n >= 2*len(sorts)*len(words) {
		vars["query"] = fmt.Sprintf("title:item-%d", n)
	}
	return map[string]any{"query": getProductsQuery, "variables": vars}
}

// serverRendered sends n distinct listings at once from one address with a private token (none when
// secret is ""), each naming a buyer of its own, and returns how many were throttled and any other
// failure. Each round asks for a different number of products, so that its answers are computed.
func serverRendered(s *server, client *http.Client, secret string, n, round int) (throttledCount int, err error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range n {
		wg.Go(func() {
			var h http.Header
			if secret != "" {
				h = privateToken(secret, fmt.Sprintf("10.%d.%d.%d", round%250, i/250, i%250+1))
			}
			r, sendErr := s.sendWith(client, h, storefrontListing(i, 100-round%50))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case sendErr != nil:
				err = sendErr
			case throttled(r):
				throttledCount++
			case r.Status != http.StatusOK || len(r.Errors) > 0:
				err = fmt.Errorf("listing %d: %d %+v", i, r.Status, r.Errors)
			}
		})
	}
	wg.Wait()
	return throttledCount, err
}

// TestServerRenderedStorefrontIsNotThrottled: a Next.js server sends 20, then 100 distinct listings and
// searches at once, each for another buyer, with a private token and the default limits: none is
// throttled. The same 20 without a token, all from the server's one address, are (the case).
func TestServerRenderedStorefrontIsNotThrottled(t *testing.T) {
	eachFreshDB(t, func(o *service.Options) {
		withOwner(nil)(o)
		// 100 computed listings at once take seconds on two cores: let them wait for a turn rather than
		// be shed, which is another limit (EMPORIUM_QUEUE_TIMEOUT) than the one measured here.
		o.QueueTimeout = time.Minute
	}, func(t *testing.T, s *server) {
		owner := staffLogin(t, s, ownerEmail, ownerPassword)
		secret := *newStorefrontToken(t, s, owner, "Next.js server", true).AccessToken
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
		for round, n := range []int{20, 100} {
			start := time.Now()
			got, err := serverRendered(s, client, secret, n, round)
			if err != nil {
				t.Fatal(err)
			}
			if got > 0 {
				t.Errorf("%d distinct listings at once with a private token: %d THROTTLED, want none", n, got)
			}
			t.Logf("%d distinct listings at once with a private token: none throttled, %v", n, time.Since(start).Round(time.Millisecond))
		}
		// Without a token the server's address is one caller, admitted by the requested cost.
		anonymous, err := serverRendered(s, client, "", 20, 2)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("the same 20 at once without a token: %d THROTTLED", anonymous)
	})
}

// BenchmarkServerRenderedStorefront sends rounds of 100 distinct Next.js-shaped listings at once from
// one address with a private token and varying buyer addresses, with the default limits (PostgreSQL,
// demo shop, response cache on), and reports listings per second and how many were throttled.
//
//	go test ./integration/ -run '^$' -bench ServerRendered -benchtime 3x
func BenchmarkServerRenderedStorefront(b *testing.B) {
	dsn := pg.NewDatabase(b)
	s := startServerWith(b, "postgres", dsn, func(o *service.Options) {
		withOwner(nil)(o)
		o.QueueTimeout = time.Minute
	})
	b.Cleanup(s.close)
	var login struct {
		StaffAccessTokenCreate struct{ StaffAccessToken struct{ AccessToken string } }
	}
	s.query(b, `mutation($e: String!, $p: String!) { staffAccessTokenCreate(input: {email: $e, password: $p}) { staffAccessToken { accessToken } } }`,
		map[string]any{"e": ownerEmail, "p": ownerPassword}, &login)
	var created struct {
		StorefrontAccessTokenCreate struct{ StorefrontAccessToken struct{ AccessToken string } }
	}
	s.queryAs(b, bearer(login.StaffAccessTokenCreate.StaffAccessToken.AccessToken), createStorefrontToken,
		map[string]any{"title": "bench", "private": true}, &created)
	secret := created.StorefrontAccessTokenCreate.StorefrontAccessToken.AccessToken
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	total := 0
	b.ResetTimer()
	for i := range b.N {
		got, err := serverRendered(s, client, secret, 100, i)
		if err != nil {
			b.Fatal(err)
		}
		total += got
	}
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "listings/s")
	b.ReportMetric(float64(total), "throttled")
}
