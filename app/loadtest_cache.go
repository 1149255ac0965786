package app

import (
	"bytes"
	"encoding/json"
)

// LoadTestCache is how a load test treats the result caches: "bypass"
// (the default: every request is computed, so runs measure inference and
// in-process and URL runs compare) or "include" (repeated texts may be
// answered from the in-memory cache or the stored results).
type LoadTestCache string

// Load-test cache modes (profiler.CacheBypass, profiler.CacheInclude).
const (
	LoadTestCacheBypass  LoadTestCache = "bypass"
	LoadTestCacheInclude LoadTestCache = "include"
)

// Values lists every load-test cache mode.
func (LoadTestCache) Values() []LoadTestCache {
	return []LoadTestCache{LoadTestCacheBypass, LoadTestCacheInclude}
}

// cacheCounts returns the task results in res and how many of them came
// from a cache.
func cacheCounts(res []DocumentResult) (results, hits int) {
	for _, d := range res {
		for _, m := range []*TaskMeta{d.Meta.Sentiment, d.Meta.Entities} {
			if m == nil {
				continue
			}
			results++
			if m.Cached {
				hits++
			}
		}
	}
	return results, hits
}

// CountCached reads an HTTP response body of the analysis routes (a
// DocumentResult or an AnalyzeResponse) and returns its task results and
// how many of them came from a cache: a URL load test's cache hits. A body
// of another shape counts nothing.
func CountCached(body []byte) (results, hits int) {
	if !bytes.Contains(body, []byte(`"cached"`)) {
		return 0, 0
	}
	var v struct {
		Meta    ResultMeta `json:"meta"`
		Results []struct {
			Meta ResultMeta `json:"meta"`
		} `json:"results"`
	}
	if json.Unmarshal(body, &v) != nil {
		return 0, 0
	}
	docs := []DocumentResult{{Meta: v.Meta}}
	for _, r := range v.Results {
		docs = append(docs, DocumentResult{Meta: r.Meta})
	}
	return cacheCounts(docs)
}
