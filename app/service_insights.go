package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/nlpscope/nlpscope/storage"
)

// Insights over a selection of stored documents: the sentiment
// distribution, sentiment over time, the top entities of each label and
// their co-occurrence (storage/insights.go). The selection is a SearchQuery,
// so every count is a History search away: that search plus the count's own
// sentiment, time bucket or entities lists exactly the documents counted.

// EntityMatch names an entity as Insights counts it: label ("" = any) and
// key, compared after normalising (case, white space, possessive 's).
type EntityMatch = storage.EntityMatch

// InsightsQuery selects documents like History (SearchQuery; Cursor and
// Limit are ignored) and shapes the aggregates.
type InsightsQuery struct {
	SearchQuery
	Bucket string `json:"bucket,omitempty"` // hour|day|week|month; "" = from the span
	Sort   string `json:"sort,omitempty"`   // entities by docs (default), mentions, negative, positive
	Top    int    `json:"top,omitempty"`    // entities per label, 1..100 (default 10)
	CoTop  int    `json:"co_top,omitempty"` // entities in the co-occurrence matrix, 1..30 (default 10)
}

// Insights are the aggregates of one selection (storage.Insights).
type Insights = storage.Insights

// Insights computes every aggregate of the documents q selects.
func (s *Service) Insights(ctx context.Context, q InsightsQuery) (Insights, error) {
	if s.db == nil {
		return Insights{}, ErrNoStorage
	}
	sq, err := storageQuery(q.SearchQuery)
	if err != nil {
		return Insights{}, err
	}
	in, err := s.db.Insights(ctx, storage.InsightsQuery{Query: sq, Bucket: q.Bucket, Sort: q.Sort, Top: q.Top, CoTop: q.CoTop})
	if err != nil {
		return Insights{}, storageError(err)
	}
	return in, nil
}

// ParseEntityMatch reads "LABEL:key" (or ":key", any label), the form of
// an entity in URLs and on the command line.
func ParseEntityMatch(s string) (EntityMatch, error) {
	label, key, ok := strings.Cut(s, ":")
	if !ok || strings.TrimSpace(key) == "" {
		return EntityMatch{}, fmt.Errorf("%w: entity %q: want LABEL:text, e.g. ORG:apple (or :text for any label)", ErrBadRequest, s)
	}
	return EntityMatch{Label: strings.TrimSpace(label), Key: key}, nil
}

// ParseMetaFilter reads a metadata filter written KEY:VALUE (the
// value may hold ':'; it is exact, case-sensitive), as the HTTP parameter
// meta and `--meta` take it.
func ParseMetaFilter(s string) (key, value string, err error) {
	key, value, ok := strings.Cut(s, ":")
	if !ok || strings.TrimSpace(key) == "" {
		return "", "", fmt.Errorf("%w: meta filter %q: want KEY:VALUE, e.g. product:phone", ErrBadRequest, s)
	}
	return key, value, nil
}

// StoredImport is an import kept in the database (every import ever run,
// not only this process's), for choosing a selection.
type StoredImport = storage.Import

// StoredImports lists the imports in the database, newest first.
func (s *Service) StoredImports(ctx context.Context) ([]StoredImport, error) {
	if s.db == nil {
		return nil, ErrNoStorage
	}
	ims, err := s.db.ListImports(ctx)
	if ims == nil {
		ims = []StoredImport{}
	}
	return ims, err
}
