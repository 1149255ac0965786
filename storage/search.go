package storage

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Query selects documents. Every set field narrows the result (AND).
type Query struct {
	// Text is a search (searchquery.go): words (AND), OR, -word or NOT
	// word, "phrases", prefix* and parentheses; terms with emoji or CJK
	// text match as substrings. A text with only punctuation matches
	// nothing; an invalid one fails with a *QueryError (ErrInvalid).
	Text        string
	Sentiment   string // label of the document's newest sentiment analysis, e.g. "POSITIVE" (case-insensitive)
	EntityLabel string // label of an entity, e.g. "PER" (case-insensitive)
	EntityText  string // text of an entity (case-insensitive, exact)
	// Entities: the document has each of these entities (AND), matched by
	// EntityKey, as Insights counts them.
	Entities []EntityMatch
	Model    string   // model id or model hash of any analysis
	Source   string   // source file, exact
	ImportID ImportID // documents of one import
	// Meta: the document's metadata has each of these keys with exactly
	// this value (AND; case-sensitive).
	Meta     map[string]string
	From, To time.Time // created in [From, To); zero means open
	// Reviewed, Corrected and Disagrees select documents by their
	// correction (corrections.go): marked reviewed; with a corrected
	// sentiment or entity list; whose correction differs from the newest
	// prediction. nil = either; false = documents without it.
	Reviewed, Corrected, Disagrees *bool
	// Limit is the page size (default 50, at most 1000). Export ignores it.
	Limit int
	// Cursor continues after the last hit of a previous page (Page.Next).
	Cursor string
	// WithTotal asks Search to count the matches (one extra query), exactly
	// up to TotalLimit of them.
	WithTotal bool
	// TotalLimit bounds the count (default DefaultTotalLimit): counting
	// stops there, so a search matching millions costs no more to count
	// than one matching TotalLimit.
	TotalLimit int
	// MarkOpen and MarkClose, when set, make Hit.Snippet plain text with
	// these markers around matched words (e.g. "[[" and "]]") instead of
	// HTML with <mark>.
	MarkOpen, MarkClose string
}

// EntityMatch names an entity as Insights counts it: Label ("" = any
// label) and Key, compared by EntityKey (so "Apple's" finds "apple").
type EntityMatch struct {
	Label string `json:"label"`
	Key   string `json:"key"`
}

// Hit is one document of a search page.
type Hit struct {
	ID       DocID             `json:"id"`
	Created  time.Time         `json:"created"`
	Source   string            `json:"source,omitempty"`
	Line     int               `json:"line,omitempty"`
	ImportID ImportID          `json:"import_id,omitempty"`
	ExtID    string            `json:"ext_id,omitempty"`
	Meta     map[string]string `json:"meta,omitempty"`
	// Snippet is HTML: the text around the matches, HTML-escaped, with the
	// matched words in <mark>…</mark> (or plain text with Query.MarkOpen/
	// MarkClose); the start of the text when Query.Text is empty.
	Snippet string `json:"snippet"`
	// Text is the start of the document text (at most 300 code points).
	Text      string   `json:"text"`
	Sentiment *Summary `json:"sentiment,omitempty"` // newest sentiment analysis
	Entities  int      `json:"entities"`            // entity count over all analyses
	Reviewed  bool     `json:"reviewed,omitempty"`  // the correction marks it reviewed
	Corrected bool     `json:"corrected,omitempty"` // the correction changes a label
	// Seen is how many times the text was stored (Document.Seen); Imports
	// the imports it came from, in id order.
	Seen    int        `json:"seen"`
	Imports []ImportID `json:"imports"`
}

// Summary is a short view of a sentiment analysis.
type Summary struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
	Model string  `json:"model"`
}

// Page is one page of search hits, newest document first.
type Page struct {
	Hits []Hit `json:"hits"`
	// Next is the cursor of the following page; "" on the last page.
	Next string `json:"next,omitempty"`
	// Total counts the matches when Query.WithTotal was set, else -1. It
	// is exact when TotalExact; otherwise there are more than Total
	// (Total is Query.TotalLimit).
	Total      int64 `json:"total"`
	TotalExact bool  `json:"total_exact"`
}

// DefaultTotalLimit is how many matches Search counts exactly by default.
const DefaultTotalLimit = 10000

const (
	defaultLimit = 50
	maxLimit     = 1000
	snippetWords = 24
	snippetRunes = 64
	previewRunes = 300
)

// minPrefixRunes is the shortest word before a * (a prefix query): a
// shorter prefix matches so many terms that FTS5 must merge most of the
// index.
const minPrefixRunes = 3

// isTokenRune reports whether FTS5's unicode61 tokenizer keeps r in a token
// (letters, numbers, private use); every other rune separates tokens.
func isTokenRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
}

// encodeCursor/decodeCursor: the cursor is the id of the last hit of a page.
func encodeCursor(id DocID) string {
	return base64.RawURLEncoding.EncodeToString([]byte("d" + strconv.FormatInt(int64(id), 10)))
}

func decodeCursor(s string) (DocID, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 2 || b[0] != 'd' {
		return 0, fmt.Errorf("%w: %q", ErrBadCursor, s)
	}
	n, err := strconv.ParseInt(string(b[1:]), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: %q", ErrBadCursor, s)
	}
	return DocID(n), nil
}

// whereClause builds the FROM/WHERE part shared by Search, count and Export.
// The document table is aliased d; a search text joins the full-text table
// that drives it (pl.table), or the list of documents that the trigram index
// holds (aliased c) when only they can match. Every value is a bound
// parameter.
func whereClause(q Query, pl textPlan) (from string, where []string, args []any) {
	if pl.table != "" {
		from = pl.table + " JOIN documents d ON d.id = " + pl.table + ".rowid"
		where = append(where, pl.table+" MATCH ?")
		args = append(args, pl.match)
	} else if pl.trigramDocs {
		from = trigramDocsTable + " c CROSS JOIN documents d ON d.id = c.id" // CROSS: c is the outer loop
	} else if drivenByCorrections(q, pl) {
		// Only corrected documents can match: the corrections (a few
		// thousand, made by hand) are the outer loop, not every document.
		from = "corrections k0 CROSS JOIN documents d ON d.id = k0.document_id"
	} else {
		from = "documents d"
	}
	where = append(where, pl.where...)
	args = append(args, pl.args...)
	if q.Sentiment != "" {
		// The newest sentiment analysis (kept on the document), the one a
		// hit shows and Insights counts.
		where = append(where, "d.sentiment = ? COLLATE NOCASE")
		args = append(args, q.Sentiment)
	}
	for _, m := range q.Entities {
		if m.Label != "" {
			where = append(where, "EXISTS (SELECT 1 FROM entities e WHERE e.document_id = d.id AND e.label = ? AND e.norm = ?)")
			args = append(args, m.Label, EntityKey(m.Key))
		} else {
			where = append(where, "EXISTS (SELECT 1 FROM entities e WHERE e.document_id = d.id AND e.norm = ?)")
			args = append(args, EntityKey(m.Key))
		}
	}
	switch {
	case q.EntityLabel != "" && q.EntityText != "":
		where = append(where, "EXISTS (SELECT 1 FROM entities e WHERE e.document_id = d.id AND e.label = ? COLLATE NOCASE AND e.text = ? COLLATE NOCASE)")
		args = append(args, q.EntityLabel, q.EntityText)
	case q.EntityLabel != "":
		where = append(where, "EXISTS (SELECT 1 FROM entities e WHERE e.document_id = d.id AND e.label = ? COLLATE NOCASE)")
		args = append(args, q.EntityLabel)
	case q.EntityText != "":
		where = append(where, "EXISTS (SELECT 1 FROM entities e WHERE e.document_id = d.id AND e.text = ? COLLATE NOCASE)")
		args = append(args, q.EntityText)
	}
	if q.Model != "" {
		where = append(where, "EXISTS (SELECT 1 FROM analyses a WHERE a.document_id = d.id AND (a.model_id = ? OR a.model_hash = ?))")
		args = append(args, q.Model, q.Model)
	}
	where = correctionWhere(q, where)
	if q.Source != "" {
		where = append(where, "d.source = ?")
		args = append(args, q.Source)
	}
	if q.ImportID != 0 {
		// Its own documents and those it saw again (import_rows).
		where = append(where, "(d.import_id = ? OR d.id IN (SELECT document_id FROM import_rows WHERE import_id = ?))")
		args = append(args, q.ImportID, q.ImportID)
	}
	keys := make([]string, 0, len(q.Meta))
	for k := range q.Meta {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the same query, the same SQL
	for _, k := range keys {
		// instr first: the pair as Store writes it ("key":"value", both
		// encoded by encoding/json) is a substring of documents.meta, found
		// without parsing the JSON (a scan of 50k documents: about 3x faster,
		// BenchmarkSearchMeta); json_each then checks it exactly. Not
		// json_extract: a key may hold any character (a JSON path cannot
		// quote '"'). nullif: '' is no metadata.
		where = append(where, "instr(d.meta, ?) > 0 AND EXISTS (SELECT 1 FROM json_each(nullif(d.meta, '')) m WHERE m.key = ? AND m.value = ?)")
		args = append(args, metaPair(k, q.Meta[k]), k, q.Meta[k])
	}
	if !q.From.IsZero() {
		where = append(where, "d.created_at >= ?")
		args = append(args, nanos(q.From))
	}
	if !q.To.IsZero() {
		where = append(where, "d.created_at < ?")
		args = append(args, nanos(q.To))
	}
	return from, where, args
}

func joinWhere(where []string) string {
	if len(where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(where, " AND ")
}

const (
	markOpen  = "\x01"
	markClose = "\x02"
)

// renderSnippet turns the FTS5 snippet markers into q's markers, or escapes
// s as HTML and uses <mark> tags.
func renderSnippet(q *Query, s string) string {
	open, close := q.MarkOpen, q.MarkClose
	if open == "" && close == "" {
		s = html.EscapeString(s)
		open, close = "<mark>", "</mark>"
	}
	s = strings.ReplaceAll(s, markOpen, open)
	return strings.ReplaceAll(s, markClose, close)
}

// Search returns one page of documents matching q, newest first. Paging is
// by keyset (Page.Next), so deep pages cost the same as the first.
func (db *DB) Search(ctx context.Context, q Query) (Page, error) {
	page := Page{Total: -1}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)
	var after DocID
	if q.Cursor != "" {
		var err error
		if after, err = decodeCursor(q.Cursor); err != nil {
			return page, err
		}
	}
	pl, err := planText(q.Text)
	if err != nil {
		return page, err
	}
	if pl.none {
		if q.WithTotal {
			page.Total, page.TotalExact = 0, true
		}
		return page, nil
	}
	from, where, args := whereClause(q, pl)
	if q.WithTotal {
		bound := q.TotalLimit
		if bound <= 0 {
			bound = DefaultTotalLimit
		}
		inner := "SELECT 1 FROM " + from + joinWhere(where)
		if pl.table != "" && len(where) == 1 {
			// Text only: count in the full-text index without the join.
			inner = "SELECT 1 FROM " + pl.table + " WHERE " + pl.table + " MATCH ?"
		}
		countArgs := append(args[:len(args):len(args)], bound+1)
		if err := db.rdb.QueryRowContext(ctx, "SELECT count(*) FROM ("+inner+" LIMIT ?)", countArgs...).Scan(&page.Total); err != nil {
			return page, fmt.Errorf("search count: %w", err)
		}
		page.TotalExact = page.Total <= int64(bound)
		page.Total = min(page.Total, int64(bound))
	}
	idCol := "d.id"
	if pl.trigramDocs {
		idCol = "c.id"
	} else if drivenByCorrections(q, pl) {
		idCol = "k0.document_id"
	}
	preview := "substr(d.text, 1, " + strconv.Itoa(previewRunes) + ")"
	snippet := "''"
	switch {
	case pl.table != "":
		idCol = pl.table + ".rowid"
		n := snippetWords
		if pl.table == trigramTable {
			n = snippetRunes // a trigram "token" is one character on
		}
		snippet = fmt.Sprintf("snippet(%s, 0, char(1), char(2), '…', %d)", pl.table, n)
	case len(pl.marks) > 0:
		snippet = "d.text" // marked in Go (markSnippet)
	}
	if after > 0 {
		where = append(where, idCol+" < ?")
		args = append(args, after)
	}
	sqlText := `SELECT d.id, d.created_at, d.source, d.line, coalesce(d.import_id, 0), d.ext_id, d.meta, ` + preview + `, ` + snippet + `,
		s.label, s.score, s.model_id,
		(SELECT count(*) FROM entities e WHERE e.document_id = d.id), d.seen,
		(SELECT group_concat(i, ',') FROM (SELECT d.import_id AS i WHERE d.import_id IS NOT NULL
			UNION SELECT r.import_id FROM import_rows r WHERE r.document_id = d.id ORDER BY 1)),
		coalesce(k.reviewed, 0), coalesce(k.sentiment IS NOT NULL OR k.has_entities = 1, 0)
		FROM ` + from + `
		LEFT JOIN analyses s ON s.id = (SELECT max(id) FROM analyses x WHERE x.document_id = d.id AND x.task = 'sentiment')
		LEFT JOIN corrections k ON k.document_id = d.id` +
		joinWhere(where) + ` ORDER BY ` + idCol + ` DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := db.rdb.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return page, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h Hit
		var created int64
		var snip, meta string
		var label, model *string
		var score *float64
		var imports sql.NullString
		if err := rows.Scan(&h.ID, &created, &h.Source, &h.Line, &h.ImportID, &h.ExtID, &meta, &h.Text, &snip, &label, &score, &model, &h.Entities, &h.Seen, &imports, &h.Reviewed, &h.Corrected); err != nil {
			return page, fmt.Errorf("search: %w", err)
		}
		h.Imports = []ImportID{}
		for _, v := range strings.Split(imports.String, ",") {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				h.Imports = append(h.Imports, ImportID(n))
			}
		}
		h.Created = fromNanos(created)
		if h.Meta, err = parseMeta(meta); err != nil {
			return page, fmt.Errorf("search: %w", err)
		}
		if pl.table == "" && len(pl.marks) > 0 {
			snip = markSnippet(snip, pl.marks)
		}
		if pl.table != "" || len(pl.marks) > 0 {
			h.Snippet = renderSnippet(&q, snip)
		} else if q.MarkOpen == "" && q.MarkClose == "" {
			h.Snippet = html.EscapeString(h.Text)
		} else {
			h.Snippet = h.Text
		}
		if label != nil {
			h.Sentiment = &Summary{Label: *label, Score: *score, Model: *model}
		}
		page.Hits = append(page.Hits, h)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("search: %w", err)
	}
	if len(page.Hits) > limit {
		page.Hits = page.Hits[:limit]
		page.Next = encodeCursor(page.Hits[limit-1].ID)
	}
	return page, nil
}

// asciiLower lowers ASCII letters only, as LIKE compares them; byte
// offsets stay the same.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// markSnippet cuts text around the first occurrence of any of marks (as a
// LIKE finds them) and puts the snippet markers around every occurrence in
// the cut: the snippet of a search that no full-text index drives.
func markSnippet(text string, marks []string) string {
	low := asciiLower(text)
	first := -1
	for _, m := range marks {
		if i := strings.Index(low, asciiLower(m)); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	if first < 0 {
		first = 0
	}
	// About snippetRunes/3 runes before the match and the rest after it.
	start := first
	for n := 0; start > 0 && n < snippetRunes/3; n++ {
		_, w := utf8.DecodeLastRuneInString(text[:start])
		start -= w
	}
	end := first
	for n := 0; end < len(text) && n < 2*snippetRunes; n++ {
		_, w := utf8.DecodeRuneInString(text[end:])
		end += w
	}
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	for i := start; i < end; {
		j, mlen := -1, 0
		for _, m := range marks {
			if k := strings.Index(low[i:end], asciiLower(m)); k >= 0 && len(m) > 0 && (j < 0 || k < j || k == j && len(m) > mlen) {
				j, mlen = k, len(m)
			}
		}
		if j < 0 {
			b.WriteString(text[i:end])
			break
		}
		b.WriteString(text[i : i+j])
		b.WriteString(markOpen)
		b.WriteString(text[i+j : i+j+mlen])
		b.WriteString(markClose)
		i += j + mlen
	}
	if end < len(text) {
		b.WriteString("…")
	}
	return b.String()
}

// metaPair is key and value as they occur in documents.meta: "key":"value".
func metaPair(key, value string) string {
	k, _ := json.Marshal(key) // a string always marshals
	v, _ := json.Marshal(value)
	return string(k) + ":" + string(v)
}
