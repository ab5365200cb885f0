package invoices

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emporium/emporium/ent"
)

// Path is where documents are downloaded: Path + ID, signed.
const Path = "/invoices/"

// DefaultLinkTTL is how long a download link works.
const DefaultLinkTTL = 24 * time.Hour

// Links makes and checks signed, expiring download links of documents: the link is the capability
// (an email carries it to a buyer who may not be signed in), so it names one document and one expiry,
// signed with HMAC-SHA256 under the server's secret.
type Links struct {
	secret []byte
	base   string
	ttl    time.Duration
	now    func() time.Time
}

// NewLinks returns links under publicURL signed with secret, valid for ttl (DefaultLinkTTL when zero).
func NewLinks(secret []byte, publicURL string, ttl time.Duration) *Links {
	if ttl <= 0 {
		ttl = DefaultLinkTTL
	}
	return &Links{secret: secret, base: strings.TrimSuffix(publicURL, "/"), ttl: ttl, now: time.Now}
}

func (l *Links) sign(id int, expires int64) string {
	m := hmac.New(sha256.New, l.secret)
	fmt.Fprintf(m, "invoice:%d:%d", id, expires)
	return hex.EncodeToString(m.Sum(nil))
}

// URL is the download link of document id, as a PDF; add format=ubl for the UBL XML.
func (l *Links) URL(id int) (string, time.Time) {
	exp := l.now().Add(l.ttl).Truncate(time.Second)
	q := url.Values{"expires": {strconv.FormatInt(exp.Unix(), 10)}, "sig": {l.sign(id, exp.Unix())}}
	return l.base + Path + strconv.Itoa(id) + "?" + q.Encode(), exp
}

// valid tells whether sig signs document id until expires, and expires is still ahead.
func (l *Links) valid(id int, expires, sig string) bool {
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil || l.now().Unix() > exp {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(l.sign(id, exp)))
}

// Handler serves GET Path{id}?expires=…&sig=…[&format=ubl]: the document rendered from its snapshot.
// A bad, expired or foreign link is 404 alike, so that it tells nothing of which documents exist.
func (l *Links) Handler(client *ent.Client, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, Path))
		q := r.URL.Query()
		if err != nil || !l.valid(id, q.Get("expires"), q.Get("sig")) {
			http.NotFound(w, r)
			return
		}
		inv, err := client.Invoice.Get(r.Context(), id)
		if ent.IsNotFound(err) {
			http.NotFound(w, r)
			return
		}
		var body []byte
		var doc Document
		if err == nil {
			doc, err = Decode(inv)
		}
		format := q.Get("format")
		if err == nil {
			switch format {
			case "", "pdf":
				body, err = PDF(doc)
				w.Header().Set("Content-Type", "application/pdf")
				w.Header().Set("Content-Disposition", `inline; filename="`+inv.Number+`.pdf"`)
			case "ubl":
				body, err = UBL(doc)
				w.Header().Set("Content-Type", "application/xml")
				w.Header().Set("Content-Disposition", `attachment; filename="`+inv.Number+`.xml"`)
			default:
				http.Error(w, "format: pdf or ubl", http.StatusBadRequest)
				return
			}
		}
		if err != nil {
			log.ErrorContext(r.Context(), "invoice download", "invoice", id, "err", err)
			http.Error(w, "the document could not be rendered", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Cache-Control", "private, no-store")
		_, _ = w.Write(body)
	})
}
