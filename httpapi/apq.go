package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// persistedQueries serves automatically persisted queries (Apollo's APQ protocol, as gqlgen's extension
// does) but keeps a query only once it has parsed, validated and passed every limit: gqlgen's extension
// keeps any text whose hash matches, before parsing it, so junk filled its cache. It must be the last
// extension used, so that its MutateOperationContext runs after every limit.
type persistedQueries struct{ cache *sizedCache[string] }

// Default size of the persisted queries kept.
const DefaultAPQCacheBytes = 8 << 20

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = persistedQueries{}

func (persistedQueries) ExtensionName() string                   { return "AutomaticPersistedQuery" }
func (persistedQueries) Validate(graphql.ExecutableSchema) error { return nil }

// apqStatsKey is gqlgen's, so that extension.GetApqStats keeps working.
const apqStatsKey = "APQ"

// MutateOperationParameters fills in a query sent by hash alone, and checks the hash of one sent in full.
func (a persistedQueries) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	ext, ok := p.Extensions["persistedQuery"].(map[string]any)
	if !ok {
		if p.Extensions["persistedQuery"] != nil {
			return apqError("the persistedQuery extension must be an object", errcode.ValidationFailed)
		}
		return nil
	}
	hash, _ := ext["sha256Hash"].(string)
	if v, _ := ext["version"].(json.Number); v != "1" {
		return apqError("unsupported APQ version", errcode.ValidationFailed)
	}
	sent := p.Query != ""
	if !sent {
		if p.Query, ok = a.cache.Get(ctx, hash); !ok {
			return apqError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
		}
	} else if sum := sha256.Sum256([]byte(p.Query)); hex.EncodeToString(sum[:]) != hash {
		return apqError("provided APQ hash does not match query", errcode.ValidationFailed)
	}
	graphql.GetOperationContext(ctx).Stats.SetExtension(apqStatsKey, &extension.ApqStats{Hash: hash, SentQuery: sent})
	return nil
}

// MutateOperationContext keeps a query sent in full, now that it has passed everything.
func (a persistedQueries) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if s, _ := oc.Stats.GetExtension(apqStatsKey).(*extension.ApqStats); s != nil && s.SentQuery {
		a.cache.Add(ctx, s.Hash, oc.RawQuery)
	}
	return nil
}

func apqError(message, code string) *gqlerror.Error {
	err := gqlerror.Errorf("%s", message)
	errcode.Set(err, code)
	return err
}
