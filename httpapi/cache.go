package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/respcache"
)

// cacheableRoots are the root fields whose answers depend only on the catalog and the request itself
// (its document and variables, @inContext included), never on who asks: an anonymous query selecting
// only these may be answered from the response cache.
var cacheableRoots = map[string]bool{
	"products": true, "product": true, "productByHandle": true, "productRecommendations": true,
	"collections": true, "collection": true, "collectionByHandle": true,
	"menu": true, "page": true, "pageByHandle": true, "pages": true, "shop": true, "__typename": true,
}

// cacheKey is the response cache's key of an operation, or "" when its answer must not be cached: it
// has credentials, it is not a query, or it selects something outside the catalog.
func cacheKey(ctx context.Context, oc *graphql.OperationContext, mediaType string) string {
	if auth.ViewerFrom(ctx).Kind != auth.Anonymous || oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return ""
	}
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"}) {
		if !cacheableRoots[f.Name] {
			return ""
		}
	}
	vars, err := json.Marshal(oc.Variables) // map keys come out sorted: equal variables, equal bytes
	if err != nil {
		return ""
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(oc.RawQuery), []byte(oc.OperationName), vars, []byte(mediaType)} {
		h.Write(part)
		h.Write([]byte{0})
	}
	return string(h.Sum(nil))
}

// cachedResponse is a cached answer with this request's own extensions: its cost against its buckets,
// settled at the actual cost priced when the answer was computed, without decoding the body.
func cachedResponse(ctx context.Context, oc *graphql.OperationContext, a respcache.Answer) *graphql.Response {
	resp := &graphql.Response{Data: a.Body}
	if c := rateCost(oc); c != nil {
		if a.Cost > 0 {
			c.settle(a.Cost)
		} else {
			c.settle(c.RequestedQueryCost) // unpriced: charged as requested
		}
		resp.Extensions = map[string]any{"cost": c}
	}
	if info, _ := ctx.Value(infoKey{}).(*requestInfo); info != nil {
		info.operation = oc.OperationName
		if info.operation == "" {
			info.operation = oc.Operation.Name
		}
	}
	return resp
}

// registerCacheMetrics exports the cache's counters.
func registerCacheMetrics(reg *prometheus.Registry, c *respcache.Cache, gate *respcache.ReplicaGate) {
	counter := func(name, help string, v func(respcache.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v(c.Stats())) })
	}
	reg.MustRegister(
		counter("emporium_response_cache_hits_total", "Anonymous catalog queries answered from the response cache.", func(s respcache.Stats) uint64 { return s.Hits }),
		counter("emporium_response_cache_misses_total", "Cacheable queries that had to run.", func(s respcache.Stats) uint64 { return s.Misses }),
		counter("emporium_response_cache_invalidations_total", "Catalog writes that emptied the response cache.", func(s respcache.Stats) uint64 { return s.Invalidations }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "emporium_response_cache_bytes", Help: "Bytes of bodies held by the response cache."},
			func() float64 { return float64(c.Stats().Bytes) }),
	)
	if gate != nil {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "emporium_response_cache_replica_behind_total",
			Help: "Missed answers computed on the primary because the read replica had not replayed the last catalog write.",
		}, func() float64 { return float64(gate.Behind()) }))
	}
}
