package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/emporium/emporium/mail"
	"github.com/emporium/emporium/service"
)

// outbox keeps the messages the service sends, instead of sending them.
type outbox struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m)
	return nil
}

func (o *outbox) last(t *testing.T) mail.Message {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.sent) == 0 {
		t.Fatal("no message was sent")
	}
	return o.sent[len(o.sent)-1]
}

func (o *outbox) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.sent)
}

type userError struct {
	Field   []string
	Message string
	Code    *string
}

func (e userError) code() string {
	if e.Code == nil {
		return ""
	}
	return *e.Code
}

const (
	signUp = `mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
		customer { id email firstName displayName } customerUserErrors { field message code } } }`
	logIn = `mutation($email: String!, $password: String!) { customerAccessTokenCreate(input: {email: $email, password: $password}) {
		customerAccessToken { accessToken expiresAt } customerUserErrors { field message code } } }`
	whoAmI = `query($token: String) { customer(customerAccessToken: $token) { id email firstName } }`
)

type loginResult struct {
	CustomerAccessTokenCreate struct {
		CustomerAccessToken *struct{ AccessToken, ExpiresAt string }
		CustomerUserErrors  []userError
	}
}

func signUpAndLogIn(t *testing.T, s *server, email string) (id, token string) {
	t.Helper()
	var out struct {
		CustomerCreate struct {
			Customer           *struct{ ID string }
			CustomerUserErrors []userError
		}
	}
	s.query(t, signUp, map[string]any{"input": map[string]any{"email": email, "password": "s3cret-pass", "firstName": "Ada"}}, &out)
	if out.CustomerCreate.Customer == nil {
		t.Fatalf("sign-up of %s: %+v", email, out.CustomerCreate.CustomerUserErrors)
	}
	var login loginResult
	s.query(t, logIn, map[string]any{"email": email, "password": "s3cret-pass"}, &login)
	if login.CustomerAccessTokenCreate.CustomerAccessToken == nil {
		t.Fatalf("login of %s: %+v", email, login.CustomerAccessTokenCreate.CustomerUserErrors)
	}
	return out.CustomerCreate.Customer.ID, login.CustomerAccessTokenCreate.CustomerAccessToken.AccessToken
}

type whoAmIResult struct {
	Customer *struct{ ID, Email, FirstName string }
}

func TestCustomerAccountLifecycle(t *testing.T) {
	mails := &outbox{}
	// The per-caller cost bucket is off: a login costs 250,000 (its argon2id hash), so the dozen logins in
	// a row below would meet the bucket, which also answers THROTTLED, before the login throttle under
	// test. TestPasswordMutationsCostTheirHash covers the bucket.
	configure := func(o *service.Options) {
		o.Mailer, o.ResetURL, o.RateCapacity = mails, "https://shop.example/account/reset", -1
	}
	eachFreshDB(t, configure, func(t *testing.T, s *server) {
		id, token := signUpAndLogIn(t, s, "ada@example.com")

		t.Run("sign-up validation", func(t *testing.T) {
			for _, tt := range []struct {
				input map[string]any
				code  string
			}{
				{map[string]any{"email": "ADA@example.com", "password": "another-pass"}, "TAKEN"},
				{map[string]any{"email": "not-an-email", "password": "another-pass"}, "INVALID"},
				{map[string]any{"email": "bob@example.com", "password": "short"}, "TOO_SHORT"},
				{map[string]any{"email": "bob@example.com", "password": " padded-password "}, "PASSWORD_STARTS_OR_ENDS_WITH_WHITESPACE"},
				{map[string]any{"email": "bob@example.com", "password": "another-pass", "firstName": "<script>"}, "CONTAINS_HTML_TAGS"},
				{map[string]any{"email": "bob@example.com", "password": "another-pass", "phone": "call me"}, "INVALID"},
			} {
				var out struct {
					CustomerCreate struct {
						Customer           *struct{ ID string }
						CustomerUserErrors []userError
					}
				}
				s.query(t, signUp, map[string]any{"input": tt.input}, &out)
				if out.CustomerCreate.Customer != nil || len(out.CustomerCreate.CustomerUserErrors) == 0 ||
					out.CustomerCreate.CustomerUserErrors[0].code() != tt.code {
					t.Errorf("%v: %+v, want %s", tt.input, out.CustomerCreate, tt.code)
				}
			}
			var login loginResult
			s.query(t, logIn, map[string]any{"email": "bob@example.com", "password": "another-pass"}, &login)
			if login.CustomerAccessTokenCreate.CustomerAccessToken != nil {
				t.Error("a rejected sign-up created an account")
			}
		})

		t.Run("token as argument and as bearer", func(t *testing.T) {
			var byArg, byHeader whoAmIResult
			s.query(t, whoAmI, map[string]any{"token": token}, &byArg)
			s.queryAs(t, bearer(token), whoAmI, nil, &byHeader)
			if byArg.Customer == nil || byArg.Customer.ID != id || byHeader.Customer == nil || byHeader.Customer.Email != "ada@example.com" {
				t.Errorf("by argument %+v, by header %+v", byArg.Customer, byHeader.Customer)
			}
			var anon whoAmIResult
			s.query(t, whoAmI, nil, &anon)
			if anon.Customer != nil {
				t.Errorf("anonymous customer = %+v", anon.Customer)
			}
		})

		t.Run("wrong password and unknown email answer alike", func(t *testing.T) {
			wrong := s.post(t, logIn, map[string]any{"email": "ada@example.com", "password": "wrong-pass!"})
			unknown := s.post(t, logIn, map[string]any{"email": "nobody@example.com", "password": "wrong-pass!"})
			if string(wrong.Data) != string(unknown.Data) || !strings.Contains(string(wrong.Data), "UNIDENTIFIED_CUSTOMER") {
				t.Errorf("wrong password: %s\nunknown email: %s", wrong.Data, unknown.Data)
			}
		})

		t.Run("renew", func(t *testing.T) {
			var out struct {
				CustomerAccessTokenRenew struct {
					CustomerAccessToken *struct{ AccessToken string }
					UserErrors          []userError
				}
			}
			s.query(t, `mutation($t: String!) { customerAccessTokenRenew(customerAccessToken: $t) { customerAccessToken { accessToken } userErrors { field message } } }`,
				map[string]any{"t": token}, &out)
			if out.CustomerAccessTokenRenew.CustomerAccessToken == nil {
				t.Fatalf("renew: %+v", out)
			}
			var who whoAmIResult
			s.query(t, whoAmI, map[string]any{"token": out.CustomerAccessTokenRenew.CustomerAccessToken.AccessToken}, &who)
			if who.Customer == nil {
				t.Error("renewed token does not work")
			}
			s.query(t, `mutation { customerAccessTokenRenew(customerAccessToken: "garbage") { customerAccessToken { accessToken } userErrors { field message } } }`, nil, &out)
			if out.CustomerAccessTokenRenew.CustomerAccessToken != nil || len(out.CustomerAccessTokenRenew.UserErrors) == 0 {
				t.Errorf("renew of garbage: %+v", out)
			}
		})

		t.Run("profile update and password change revoke old tokens", func(t *testing.T) {
			_, other := signUpAndLogIn(t, s, "grace@example.com")
			var out struct {
				CustomerUpdate struct {
					Customer            *struct{ FirstName, Email string }
					CustomerAccessToken *struct{ AccessToken string }
					CustomerUserErrors  []userError
				}
			}
			upd := `mutation($c: CustomerUpdateInput!) { customerUpdate(customer: $c) {
				customer { firstName email } customerAccessToken { accessToken } customerUserErrors { field message code } } }`
			s.queryAs(t, bearer(other), upd, map[string]any{"c": map[string]any{"firstName": "Grace"}}, &out)
			if out.CustomerUpdate.Customer == nil || out.CustomerUpdate.Customer.FirstName != "Grace" || out.CustomerUpdate.CustomerAccessToken != nil {
				t.Fatalf("name update: %+v", out)
			}
			s.queryAs(t, bearer(other), upd, map[string]any{"c": map[string]any{"email": "ada@example.com"}}, &out)
			if len(out.CustomerUpdate.CustomerUserErrors) == 0 || out.CustomerUpdate.CustomerUserErrors[0].code() != "TAKEN" {
				t.Errorf("email of another customer: %+v", out)
			}
			s.queryAs(t, bearer(other), upd, map[string]any{"c": map[string]any{"password": "brand-new-pass"}}, &out)
			if out.CustomerUpdate.CustomerAccessToken == nil {
				t.Fatalf("password change returned no token: %+v", out)
			}
			if r := s.postAs(t, bearer(other), whoAmI, nil); r.Status != http.StatusUnauthorized {
				t.Errorf("old token after a password change: %d %s", r.Status, r.Data)
			}
			var who whoAmIResult
			s.queryAs(t, bearer(out.CustomerUpdate.CustomerAccessToken.AccessToken), whoAmI, nil, &who)
			if who.Customer == nil || who.Customer.Email != "grace@example.com" {
				t.Errorf("new token: %+v", who.Customer)
			}
		})

		t.Run("addresses", func(t *testing.T) {
			create := `mutation($a: MailingAddressInput!) { customerAddressCreate(address: $a) { customerAddress { id city } customerUserErrors { field message code } } }`
			var a1, a2 struct {
				CustomerAddressCreate struct {
					CustomerAddress    *struct{ ID, City string }
					CustomerUserErrors []userError
				}
			}
			s.queryAs(t, bearer(token), create, map[string]any{"a": map[string]any{"address1": "1 Main St", "city": "Columbus", "country": "US", "zip": "43004", "firstName": "Ada"}}, &a1)
			s.queryAs(t, bearer(token), create, map[string]any{"a": map[string]any{"address1": "Unter den Linden 1", "city": "Berlin", "country": "DE", "zip": "10117"}}, &a2)
			if a1.CustomerAddressCreate.CustomerAddress == nil || a2.CustomerAddressCreate.CustomerAddress == nil {
				t.Fatalf("create: %+v %+v", a1, a2)
			}
			book := `{ customer { defaultAddress { id city countryCodeV2 formatted(withName: true) } addresses(first: 10) { nodes { id city } } } }`
			var out struct {
				Customer struct {
					DefaultAddress struct {
						ID, City      string
						CountryCodeV2 string
						Formatted     []string
					}
					Addresses struct{ Nodes []struct{ ID, City string } }
				}
			}
			s.queryAs(t, bearer(token), book, nil, &out)
			if out.Customer.DefaultAddress.City != "Columbus" || len(out.Customer.Addresses.Nodes) != 2 || out.Customer.DefaultAddress.CountryCodeV2 != "US" ||
				strings.Join(out.Customer.DefaultAddress.Formatted, "|") != "Ada|1 Main St|Columbus, 43004|US" {
				t.Errorf("book: %+v", out.Customer)
			}
			berlin := a2.CustomerAddressCreate.CustomerAddress.ID
			s.queryAs(t, bearer(token), `mutation($id: ID!) { customerDefaultAddressUpdate(addressId: $id) { customer { id } customerUserErrors { code } } }`, map[string]any{"id": berlin}, nil)
			s.queryAs(t, bearer(token), `mutation($id: ID!) { customerAddressUpdate(id: $id, address: {city: "Potsdam"}) { customerAddress { city } customerUserErrors { code } } }`, map[string]any{"id": berlin}, nil)
			s.queryAs(t, bearer(token), book, nil, &out)
			if out.Customer.DefaultAddress.City != "Potsdam" {
				t.Errorf("default after update = %+v", out.Customer.DefaultAddress)
			}
			s.queryAs(t, bearer(token), `mutation($id: ID!) { customerAddressDelete(id: $id) { deletedCustomerAddressId customerUserErrors { code } } }`, map[string]any{"id": berlin}, nil)
			var after struct {
				Customer struct {
					DefaultAddress *struct{ ID string }
					Addresses      struct{ Nodes []struct{ ID string } }
				}
			}
			s.queryAs(t, bearer(token), `{ customer { defaultAddress { id } addresses(first: 10) { nodes { id } } } }`, nil, &after)
			if after.Customer.DefaultAddress != nil || len(after.Customer.Addresses.Nodes) != 1 {
				t.Errorf("after deleting the default: %+v", after.Customer)
			}
		})

		t.Run("recover and reset", func(t *testing.T) {
			before := mails.count()
			recover := `mutation($e: String!) { customerRecover(email: $e) { customerUserErrors { field message code } } }`
			unknown := s.post(t, recover, map[string]any{"e": "nobody@example.com"})
			known := s.post(t, recover, map[string]any{"e": "ada@example.com"})
			if string(unknown.Data) != string(known.Data) || mails.count() != before+1 {
				t.Fatalf("recover answers differ or mails sent %d: %s vs %s", mails.count()-before, unknown.Data, known.Data)
			}
			link := mails.last(t).Link
			if !strings.HasPrefix(link, "https://shop.example/account/reset/") {
				t.Fatalf("reset link %q", link)
			}
			reset := `mutation($u: URL!, $p: String!) { customerResetByUrl(resetUrl: $u, password: $p) {
				customer { email } customerAccessToken { accessToken } customerUserErrors { field message code } } }`
			var out struct {
				CustomerResetByURL struct {
					Customer            *struct{ Email string }
					CustomerAccessToken *struct{ AccessToken string }
					CustomerUserErrors  []userError
				} `json:"customerResetByUrl"`
			}
			s.query(t, reset, map[string]any{"u": link, "p": "reset-password-1"}, &out)
			if out.CustomerResetByURL.CustomerAccessToken == nil {
				t.Fatalf("reset: %+v", out)
			}
			if r := s.postAs(t, bearer(token), whoAmI, nil); r.Status != http.StatusUnauthorized {
				t.Errorf("token from before the reset still works: %d", r.Status)
			}
			token = out.CustomerResetByURL.CustomerAccessToken.AccessToken
			s.query(t, reset, map[string]any{"u": link, "p": "reset-password-2"}, &out)
			if out.CustomerResetByURL.CustomerAccessToken != nil || len(out.CustomerResetByURL.CustomerUserErrors) == 0 ||
				out.CustomerResetByURL.CustomerUserErrors[0].code() != "TOKEN_INVALID" {
				t.Errorf("second use of the reset link: %+v", out)
			}
			var login loginResult
			s.query(t, logIn, map[string]any{"email": "ada@example.com", "password": "reset-password-1"}, &login)
			if login.CustomerAccessTokenCreate.CustomerAccessToken == nil {
				t.Error("cannot log in with the new password")
			}
		})

		t.Run("logout revokes at once", func(t *testing.T) {
			var out struct {
				CustomerAccessTokenDelete struct {
					DeletedAccessToken *string
					UserErrors         []userError
				}
			}
			s.query(t, `mutation($t: String!) { customerAccessTokenDelete(customerAccessToken: $t) { deletedAccessToken userErrors { message } } }`, map[string]any{"t": token}, &out)
			if out.CustomerAccessTokenDelete.DeletedAccessToken == nil {
				t.Fatalf("logout: %+v", out)
			}
			var who whoAmIResult
			s.query(t, whoAmI, map[string]any{"token": token}, &who)
			if who.Customer != nil {
				t.Error("customer(token) answers after logout")
			}
			if r := s.postAs(t, bearer(token), whoAmI, nil); r.Status != http.StatusUnauthorized || len(r.Errors) == 0 || r.Errors[0].code() != "UNAUTHENTICATED" {
				t.Errorf("bearer after logout: %d %+v", r.Status, r.Errors)
			}
		})

		t.Run("throttling", func(t *testing.T) {
			for _, email := range []string{"ada@example.com", "ghost@example.com"} {
				for i := range 5 {
					var login loginResult
					s.query(t, logIn, map[string]any{"email": email, "password": fmt.Sprintf("wrong-%d-pass", i)}, &login)
				}
				r := s.post(t, logIn, map[string]any{"email": email, "password": "reset-password-1"})
				if len(r.Errors) == 0 || r.Errors[0].code() != "THROTTLED" {
					t.Errorf("%s after 5 failures: %s %+v, want THROTTLED", email, r.Data, r.Errors)
				}
			}
		})
	})
}
