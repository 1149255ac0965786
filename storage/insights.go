package storage

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Aggregates over a selection of documents: the sentiment distribution,
// sentiment over time, the top entities of each label and their
// co-occurrence. The selection is a Query, built by the same whereClause as
// Search, so that every count is exactly the number of documents History
// lists for the same query plus the count's own filter (a sentiment label, a
// time bucket, one or two entities). A document's sentiment is its newest
// sentiment analysis, as in Search's hits and its Sentiment filter. All of it
// is SQL over the documents the query selects (rows reached through the
// *_document indexes), never documents loaded into Go.

// Time buckets of a timeline.
const (
	BucketHour  = "hour"
	BucketDay   = "day"
	BucketWeek  = "week" // ISO weeks, starting Monday 00:00 UTC
	BucketMonth = "month"
)

// Entity sort orders of InsightsQuery.Sort.
const (
	SortDocs     = "docs"
	SortMentions = "mentions"
	SortNegative = "negative" // share of the documents whose sentiment is negative
	SortPositive = "positive"
)

// Limits of InsightsQuery.
const (
	DefaultTopEntities = 10
	MaxTopEntities     = 100
	DefaultCoEntities  = 10
	MaxCoEntities      = 30
	maxBuckets         = 1000
)

// InsightsQuery selects documents (Query; Limit, Cursor and WithTotal are
// ignored) and shapes the aggregates.
type InsightsQuery struct {
	Query
	// Bucket is the timeline's bucket; "" chooses one from the span of the
	// selection's creation times (AutoBucket).
	Bucket string
	// Top is how many entities of each label are listed (default 10, at most 100).
	Top int
	// Sort orders the entities: SortDocs (default), SortMentions,
	// SortNegative or SortPositive (share of documents, then documents).
	Sort string
	// CoTop is how many entities (the most frequent by documents, over all
	// labels) the co-occurrence matrix holds (default 10, at most 30).
	CoTop int
}

// Insights are the aggregates of one selection.
type Insights struct {
	Documents  int64            `json:"documents"`  // selected documents
	Unlabelled int64            `json:"unlabelled"` // … of them without a sentiment analysis
	Sentiment  []SentimentCount `json:"sentiment"`  // by label, most documents first
	First      time.Time        `json:"first,omitzero"`
	Last       time.Time        `json:"last,omitzero"` // creation times of the oldest and newest document
	Timeline   Timeline         `json:"timeline"`
	Entities   []EntityGroup    `json:"entities"` // by entity label
	Cooccur    Cooccurrence     `json:"cooccurrence"`
}

// SentimentCount is one sentiment label of the distribution.
type SentimentCount struct {
	Label     string  `json:"label"`
	Docs      int64   `json:"docs"`
	Share     float64 `json:"share"`      // of the labelled documents, 0..1
	MeanScore float64 `json:"mean_score"` // mean score of the label's analyses
}

// Timeline is sentiment over time: documents per bucket and sentiment label.
type Timeline struct {
	Bucket string   `json:"bucket"`
	Auto   bool     `json:"auto"`   // Bucket was chosen from the span
	Labels []string `json:"labels"` // sentiment labels, the order of Bucket.Counts
	// Buckets run without gaps from the oldest to the newest document's bucket.
	Buckets []TimeBucket `json:"buckets"`
}

// TimeBucket is one bucket: [From, To), clipped to the query's own From and
// To, so that it selects exactly the documents counted.
type TimeBucket struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Counts []int64   `json:"counts"` // per Timeline.Labels
	Total  int64     `json:"total"`  // labelled documents
	// Net is (positive − negative) / Total, 0 when Total is 0.
	Net float64 `json:"net"`
}

// EntityGroup is the top entities of one entity label.
type EntityGroup struct {
	Label    string       `json:"label"`
	Distinct int          `json:"distinct"` // entities of this label in the selection
	Entities []EntityStat `json:"entities"`
}

// EntityStat is one entity (an EntityKey within a label).
type EntityStat struct {
	Label    string `json:"label"`
	Key      string `json:"key"`
	Docs     int64  `json:"docs"`     // documents mentioning it
	Mentions int64  `json:"mentions"` // spans
	// Sentiment is how many of Docs have each sentiment label (newest
	// analysis), most first; documents without one are not listed.
	Sentiment     []LabelCount  `json:"sentiment"`
	NegativeShare float64       `json:"negative_share"` // of Docs
	PositiveShare float64       `json:"positive_share"`
	Forms         []SurfaceForm `json:"forms"` // as written, most mentions first
}

// LabelCount is a number of documents with a label.
type LabelCount struct {
	Label string `json:"label"`
	Docs  int64  `json:"docs"`
}

// SurfaceForm is one spelling of an entity and how often it was written so.
type SurfaceForm struct {
	Text     string `json:"text"`
	Mentions int64  `json:"mentions"`
}

// Cooccurrence counts the documents in which two of the most frequent
// entities both occur.
type Cooccurrence struct {
	Entities []EntityMatch `json:"entities"`
	Docs     []int64       `json:"docs"`  // documents of each entity
	Pairs    []EntityPair  `json:"pairs"` // A < B, pairs with no document left out
}

// EntityPair is two entities (indexes into Cooccurrence.Entities) and the
// number of documents mentioning both.
type EntityPair struct {
	A    int   `json:"a"`
	B    int   `json:"b"`
	Docs int64 `json:"docs"`
}

// Polarity classifies a sentiment label: +1 positive ("positive", "POS",
// "LABEL_POSITIVE"…), -1 negative, 0 anything else (neutral, mixed).
func Polarity(label string) int {
	l := strings.ToLower(label)
	l = strings.TrimPrefix(l, "label_")
	switch {
	case strings.HasPrefix(l, "pos"):
		return 1
	case strings.HasPrefix(l, "neg"):
		return -1
	}
	return 0
}

// AutoBucket chooses the timeline bucket for a span of creation times: hours
// up to 3 days, days up to 120 days, weeks up to 2 years, months beyond.
func AutoBucket(span time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case span <= 3*day:
		return BucketHour
	case span <= 120*day:
		return BucketDay
	case span <= 730*day:
		return BucketWeek
	}
	return BucketMonth
}

// bucketExpr is the SQL bucket number of the creation time column col (Unix
// nanoseconds, UTC).
func bucketExpr(bucket, col string) string {
	switch bucket {
	case BucketHour:
		return col + " / 3600000000000"
	case BucketDay:
		return col + " / 86400000000000"
	case BucketWeek: // day 0 (1970-01-01) was a Thursday: weeks start 3 days earlier
		return "(" + col + " / 86400000000000 + 3) / 7"
	}
	sec := col + " / 1000000000"
	return "CAST(strftime('%Y', " + sec + ", 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', " + sec + ", 'unixepoch') AS INTEGER) - 1"
}

// bucketStart is the start of bucket number n.
func bucketStart(bucket string, n int64) time.Time {
	switch bucket {
	case BucketHour:
		return time.Unix(n*3600, 0).UTC()
	case BucketDay:
		return time.Unix(n*86400, 0).UTC()
	case BucketWeek:
		return time.Unix((n*7-3)*86400, 0).UTC()
	}
	return time.Date(int(n/12), time.Month(n%12+1), 1, 0, 0, 0, 0, time.UTC)
}

func bucketOf(bucket string, t time.Time) int64 {
	switch bucket {
	case BucketHour:
		return t.UnixNano() / 3600e9
	case BucketDay:
		return t.UnixNano() / 86400e9
	case BucketWeek:
		return (t.UnixNano()/86400e9 + 3) / 7
	}
	return int64(t.Year())*12 + int64(t.Month()) - 1
}

func (q *InsightsQuery) validate() error {
	switch q.Bucket {
	case "", BucketHour, BucketDay, BucketWeek, BucketMonth:
	default:
		return fmt.Errorf("%w: bucket %q (want hour, day, week or month)", ErrInvalid, q.Bucket)
	}
	switch q.Sort {
	case "":
		q.Sort = SortDocs
	case SortDocs, SortMentions, SortNegative, SortPositive:
	default:
		return fmt.Errorf("%w: sort %q (want docs, mentions, negative or positive)", ErrInvalid, q.Sort)
	}
	if q.Top < 0 || q.Top > MaxTopEntities {
		return fmt.Errorf("%w: top %d (want 1..%d)", ErrInvalid, q.Top, MaxTopEntities)
	}
	if q.Top == 0 {
		q.Top = DefaultTopEntities
	}
	if q.CoTop < 0 || q.CoTop > MaxCoEntities {
		return fmt.Errorf("%w: co-occurrence entities %d (want 1..%d)", ErrInvalid, q.CoTop, MaxCoEntities)
	}
	if q.CoTop == 0 {
		q.CoTop = DefaultCoEntities
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return fmt.Errorf("%w: from %s is not before to %s", ErrInvalid, q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	}
	return nil
}

// Insights computes every aggregate of the documents q selects, in one read
// transaction (one snapshot: the panels agree with one another), with three
// statements: the span of creation times (which chooses the bucket); one
// pass over the selected documents, their newest sentiment and their
// entities for the distribution, the timeline, the entities and their
// surface forms; and the co-occurrence of the most frequent entities. It is
// safe for concurrent use.
func (db *DB) Insights(ctx context.Context, q InsightsQuery) (Insights, error) {
	out := Insights{Sentiment: []SentimentCount{}, Entities: []EntityGroup{},
		Timeline: Timeline{Labels: []string{}, Buckets: []TimeBucket{}},
		Cooccur:  Cooccurrence{Entities: []EntityMatch{}, Docs: []int64{}, Pairs: []EntityPair{}}}
	if err := q.validate(); err != nil {
		return out, err
	}
	out.Timeline.Bucket, out.Timeline.Auto = cmp.Or(q.Bucket, BucketHour), q.Bucket == ""
	pl, err := planText(q.Text)
	if err != nil {
		return out, err
	}
	if pl.none {
		return out, nil // the text matches nothing, as in Search
	}
	from, where, args := whereClause(q.Query, pl)
	sel := "WITH sel AS (SELECT d.id AS id, d.created_at AS created, d.sentiment AS slabel, d.sentiment_score AS score FROM " + from + joinWhere(where) + ")"
	tx, err := db.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return out, fmt.Errorf("insights: %w", err)
	}
	defer tx.Rollback()
	r := insightsRun{ctx: ctx, tx: tx, sel: sel, args: args, q: &q, out: &out}
	for _, step := range []func() error{r.span, r.aggregate, r.cooccurrence} {
		if err := step(); err != nil {
			return out, fmt.Errorf("insights: %w", err)
		}
	}
	return out, nil
}

type insightsRun struct {
	ctx  context.Context
	tx   *sql.Tx
	sel  string // the WITH clause naming the selection "sel"
	args []any
	q    *InsightsQuery
	out  *Insights
	// lo, hi are the first and last bucket numbers.
	lo, hi int64
	// all is every entity, most documents first (for co-occurrence).
	all []EntityStat
}

func (r *insightsRun) query(sqlText string, extra []any, scan func(*sql.Rows) error) error {
	rows, err := r.tx.QueryContext(r.ctx, r.sel+sqlText, append(slices.Clone(r.args), extra...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// span finds the number of documents and their first and last creation
// time, and from those the timeline's bucket.
func (r *insightsRun) span() error {
	var lo, hi *int64
	err := r.query(` SELECT count(*), min(created), max(created) FROM sel`, nil, func(rows *sql.Rows) error {
		return rows.Scan(&r.out.Documents, &lo, &hi)
	})
	if err != nil {
		return fmt.Errorf("span: %w", err)
	}
	if r.out.Documents == 0 {
		return nil
	}
	r.out.First, r.out.Last = fromNanos(*lo), fromNanos(*hi)
	tl := &r.out.Timeline
	if tl.Auto {
		tl.Bucket = AutoBucket(r.out.Last.Sub(r.out.First))
	}
	r.lo, r.hi = bucketOf(tl.Bucket, r.out.First), bucketOf(tl.Bucket, r.out.Last)
	if n := r.hi - r.lo + 1; n > maxBuckets {
		return fmt.Errorf("%w: %d buckets of a %s over this selection (at most %d); choose a longer bucket or a shorter date range",
			ErrInvalid, n, tl.Bucket, maxBuckets)
	}
	return nil
}

type entityKey struct{ label, key string }

// aggregate makes one pass: sel holds each selected document with its
// newest sentiment (documents.sentiment), de each entity of those
// documents; three groupings of them come back as one result, told apart by
// the first column.
func (r *insightsRun) aggregate() error {
	if r.out.Documents == 0 {
		return nil
	}
	out, tl := r.out, &r.out.Timeline
	sqlText := `,
		de AS MATERIALIZED (SELECT e.label AS label, e.norm AS norm, e.text AS text, e.document_id AS doc, sel.slabel AS slabel
			FROM sel JOIN entities e ON e.document_id = sel.id)
		SELECT 0, ` + bucketExpr(tl.Bucket, "created") + `, slabel, NULL, count(*), sum(score) FROM sel GROUP BY 2, 3
		UNION ALL
		SELECT 1, label, norm, slabel, count(DISTINCT doc), count(*) FROM de GROUP BY 2, 3, 4
		UNION ALL
		SELECT 2, label, norm, text, count(*), NULL FROM de GROUP BY 2, 3, 4`

	type labelSum struct {
		n   int64
		sum float64
	}
	labels := map[string]*labelSum{}
	type cell struct {
		bucket int64
		label  string
		n      int64
	}
	var cells []cell
	stats := map[entityKey]*EntityStat{}
	forms := map[entityKey][]SurfaceForm{}
	err := r.query(sqlText, nil, func(rows *sql.Rows) error {
		var kind int
		var a, b, c any
		var n int64
		var f *float64
		if err := rows.Scan(&kind, &a, &b, &c, &n, &f); err != nil {
			return err
		}
		switch kind {
		case 0: // bucket, sentiment label (NULL: none), documents, sum of scores
			if b == nil {
				out.Unlabelled += n
				return nil
			}
			label := asString(b)
			ls := labels[label]
			if ls == nil {
				ls = &labelSum{}
				labels[label] = ls
			}
			ls.n += n
			ls.sum += *f
			cells = append(cells, cell{asInt(a), label, n})
		case 1: // entity label, key, sentiment label, documents, mentions
			k := entityKey{asString(a), asString(b)}
			st := stats[k]
			if st == nil {
				st = &EntityStat{Label: k.label, Key: k.key, Sentiment: []LabelCount{}, Forms: []SurfaceForm{}}
				stats[k] = st
			}
			// A document has one newest sentiment (or none): the groups
			// partition the entity's documents.
			st.Docs += n
			st.Mentions += int64(*f)
			if c != nil {
				sl := asString(c)
				st.Sentiment = append(st.Sentiment, LabelCount{Label: sl, Docs: n})
				switch Polarity(sl) {
				case 1:
					st.PositiveShare += float64(n)
				case -1:
					st.NegativeShare += float64(n)
				}
			}
		case 2: // entity label, key, surface form, mentions
			k := entityKey{asString(a), asString(b)}
			forms[k] = append(forms[k], SurfaceForm{Text: asString(c), Mentions: n})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("aggregates: %w", err)
	}

	// Distribution.
	labelled := out.Documents - out.Unlabelled
	for l, s := range labels {
		out.Sentiment = append(out.Sentiment, SentimentCount{Label: l, Docs: s.n, Share: float64(s.n) / float64(labelled), MeanScore: s.sum / float64(s.n)})
	}
	slices.SortFunc(out.Sentiment, func(a, b SentimentCount) int {
		return cmp.Or(cmp.Compare(b.Docs, a.Docs), strings.Compare(a.Label, b.Label))
	})

	// Timeline: every bucket from the first to the last, clipped to the
	// query's own time range.
	col := map[string]int{}
	for i, s := range out.Sentiment {
		tl.Labels = append(tl.Labels, s.Label)
		col[s.Label] = i
	}
	tl.Buckets = make([]TimeBucket, r.hi-r.lo+1)
	for i := range tl.Buckets {
		b := &tl.Buckets[i]
		b.From, b.To = bucketStart(tl.Bucket, r.lo+int64(i)), bucketStart(tl.Bucket, r.lo+int64(i)+1)
		if !r.q.From.IsZero() && b.From.Before(r.q.From) {
			b.From = r.q.From.UTC()
		}
		if !r.q.To.IsZero() && b.To.After(r.q.To) {
			b.To = r.q.To.UTC()
		}
		b.Counts = make([]int64, len(tl.Labels))
	}
	for _, c := range cells {
		if c.bucket < r.lo || c.bucket > r.hi {
			return fmt.Errorf("timeline: bucket %d outside %d..%d", c.bucket, r.lo, r.hi)
		}
		b := &tl.Buckets[c.bucket-r.lo]
		b.Counts[col[c.label]] += c.n
		b.Total += c.n
		b.Net += float64(int64(Polarity(c.label)) * c.n)
	}
	for i := range tl.Buckets {
		if b := &tl.Buckets[i]; b.Total > 0 {
			b.Net /= float64(b.Total)
		}
	}

	// Entities.
	groups := map[string][]EntityStat{}
	for k, st := range stats {
		st.PositiveShare /= float64(st.Docs)
		st.NegativeShare /= float64(st.Docs)
		slices.SortFunc(st.Sentiment, func(a, b LabelCount) int {
			return cmp.Or(cmp.Compare(b.Docs, a.Docs), strings.Compare(a.Label, b.Label))
		})
		st.Forms = forms[k]
		slices.SortFunc(st.Forms, func(a, b SurfaceForm) int {
			return cmp.Or(cmp.Compare(b.Mentions, a.Mentions), strings.Compare(a.Text, b.Text))
		})
		groups[st.Label] = append(groups[st.Label], *st)
		r.all = append(r.all, *st)
	}
	byDocs := func(a, b EntityStat) int {
		return cmp.Or(cmp.Compare(b.Docs, a.Docs), cmp.Compare(b.Mentions, a.Mentions), strings.Compare(a.Label, b.Label), strings.Compare(a.Key, b.Key))
	}
	order := byDocs
	switch r.q.Sort {
	case SortMentions:
		order = func(a, b EntityStat) int { return cmp.Or(cmp.Compare(b.Mentions, a.Mentions), byDocs(a, b)) }
	case SortNegative:
		order = func(a, b EntityStat) int { return cmp.Or(cmp.Compare(b.NegativeShare, a.NegativeShare), byDocs(a, b)) }
	case SortPositive:
		order = func(a, b EntityStat) int { return cmp.Or(cmp.Compare(b.PositiveShare, a.PositiveShare), byDocs(a, b)) }
	}
	slices.SortFunc(r.all, byDocs)
	for _, label := range sortedKeys(groups) {
		g := groups[label]
		slices.SortFunc(g, order)
		out.Entities = append(out.Entities, EntityGroup{Label: label, Distinct: len(g), Entities: g[:min(len(g), r.q.Top)]})
	}
	return nil
}

// asString and asInt read the loosely typed columns of aggregate.
func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

func asInt(v any) int64 {
	n, _ := v.(int64)
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// cooccurrence counts, for every pair of the CoTop entities with most
// documents, the selected documents that mention both.
func (r *insightsRun) cooccurrence() error {
	co := &r.out.Cooccur
	top := r.all[:min(len(r.all), r.q.CoTop)]
	index := map[string]int{}
	var keys []any
	for i, st := range top {
		co.Entities = append(co.Entities, EntityMatch{Label: st.Label, Key: st.Key})
		co.Docs = append(co.Docs, st.Docs)
		k := st.Label + "\x00" + st.Key
		index[k] = i
		keys = append(keys, k)
	}
	if len(top) < 2 {
		return nil
	}
	in := strings.Repeat("?, ", len(keys)-1) + "?"
	keyOf := func(alias string) string { return alias + ".label || char(0) || " + alias + ".norm" }
	sqlText := ` SELECT ` + keyOf("a") + `, ` + keyOf("b") + `, count(DISTINCT sel.id) FROM sel
		JOIN entities a ON a.document_id = sel.id AND ` + keyOf("a") + ` IN (` + in + `)
		JOIN entities b ON b.document_id = sel.id AND ` + keyOf("b") + ` IN (` + in + `)
		WHERE ` + keyOf("a") + ` < ` + keyOf("b") + ` GROUP BY 1, 2`
	err := r.query(sqlText, append(slices.Clone(keys), keys...), func(rows *sql.Rows) error {
		var ka, kb string
		var n int64
		if err := rows.Scan(&ka, &kb, &n); err != nil {
			return err
		}
		a, b := index[ka], index[kb]
		if a > b {
			a, b = b, a
		}
		co.Pairs = append(co.Pairs, EntityPair{A: a, B: b, Docs: n})
		return nil
	})
	if err != nil {
		return fmt.Errorf("co-occurrence: %w", err)
	}
	slices.SortFunc(co.Pairs, func(x, y EntityPair) int { return cmp.Or(cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B)) })
	return nil
}
