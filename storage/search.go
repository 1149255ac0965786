package storage

import (
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Query selects documents. Every set field narrows the result (AND).
type Query struct {
	// Text is searched as plain words (never FTS5 syntax): every word must
	// occur; the last word also matches as a prefix unless Text ends in a
	// space or it is shorter than 3 letters. Quotes, *, parentheses, AND/OR/NOT/NEAR are just words or
	// separators. Text with no word characters matches nothing.
	Text        string
	Sentiment   string // label of the document's newest sentiment analysis, e.g. "POSITIVE"
	EntityLabel string // label of an entity, e.g. "PER"
	EntityText  string // text of an entity (case-insensitive, exact)
	// Entities: the document has each of these entities (AND), matched by
	// EntityKey, as Insights counts them.
	Entities []EntityMatch
	Model    string    // model id or model hash of any analysis
	Source   string    // source file, exact
	ImportID ImportID  // documents of one import
	From, To time.Time // created in [From, To); zero means open
	// Limit is the page size (default 50, at most 1000). Export ignores it.
	Limit int
	// Cursor continues after the last hit of a previous page (Page.Next).
	Cursor string
	// WithTotal asks Search to count all matches (one extra query).
	WithTotal bool
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
	ID       DocID     `json:"id"`
	Created  time.Time `json:"created"`
	Source   string    `json:"source,omitempty"`
	Line     int       `json:"line,omitempty"`
	ImportID ImportID  `json:"import_id,omitempty"`
	// Snippet is HTML: the text around the matches, HTML-escaped, with the
	// matched words in <mark>…</mark> (or plain text with Query.MarkOpen/
	// MarkClose); the start of the text when Query.Text is empty.
	Snippet string `json:"snippet"`
	// Text is the start of the document text (at most 300 code points).
	Text      string   `json:"text"`
	Sentiment *Summary `json:"sentiment,omitempty"` // newest sentiment analysis
	Entities  int      `json:"entities"`            // entity count over all analyses
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
	// Total counts all matches when Query.WithTotal was set, else -1.
	Total int64 `json:"total"`
}

const (
	defaultLimit = 50
	maxLimit     = 1000
	snippetWords = 24
	previewRunes = 300
)

// minPrefixRunes is the shortest last word that MatchExpr turns into a
// prefix query.
const minPrefixRunes = 3

func countTokenRunes(s string) int {
	n := 0
	for _, r := range s {
		if isTokenRune(r) {
			n++
		}
	}
	return n
}

// isTokenRune reports whether FTS5's unicode61 tokenizer keeps r in a token
// (letters, numbers, private use); every other rune separates tokens.
func isTokenRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
}

// MatchExpr turns user text into a safe FTS5 MATCH expression: every
// whitespace-separated word becomes a quoted phrase (inner quotes doubled),
// words without any token character are dropped, and the last word becomes
// a prefix query unless text ends in white space or the word has fewer than
// 3 letters or digits. The phrases are ANDed.
// It returns "" when no word is left (nothing can match).
func MatchExpr(text string) string {
	fields := strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) || r == 0 })
	var parts []string
	for _, f := range fields {
		if strings.IndexFunc(f, isTokenRune) < 0 {
			continue
		}
		parts = append(parts, `"`+strings.ReplaceAll(f, `"`, `""`)+`"`)
	}
	if len(parts) == 0 {
		return ""
	}
	// Prefix-match the word being typed, once it has minPrefixRunes token
	// runes: a shorter prefix matches so many terms that FTS5 must merge
	// most of the index.
	if r, _ := utf8.DecodeLastRuneInString(text); !unicode.IsSpace(r) && r != 0 {
		lf := fields[len(fields)-1]
		if countTokenRunes(lf) >= minPrefixRunes {
			parts[len(parts)-1] += "*"
		}
	}
	return strings.Join(parts, " ")
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
// The document table is aliased d; with text, documents_fts is joined.
// Every value is a bound parameter.
func whereClause(q Query, match string) (from string, where []string, args []any) {
	if match != "" {
		from = "documents_fts JOIN documents d ON d.id = documents_fts.rowid"
		where = append(where, "documents_fts MATCH ?")
		args = append(args, match)
	} else {
		from = "documents d"
	}
	if q.Sentiment != "" {
		// The newest sentiment analysis (kept on the document), the one a
		// hit shows and Insights counts.
		where = append(where, "d.sentiment = ?")
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
		where = append(where, "EXISTS (SELECT 1 FROM entities e WHERE e.document_id = d.id AND e.label = ? AND e.text = ? COLLATE NOCASE)")
		args = append(args, q.EntityLabel, q.EntityText)
	case q.EntityLabel != "":
		where = append(where, "EXISTS (SELECT 1 FROM entities e WHERE e.document_id = d.id AND e.label = ?)")
		args = append(args, q.EntityLabel)
	case q.EntityText != "":
		where = append(where, "EXISTS (SELECT 1 FROM entities e WHERE e.document_id = d.id AND e.text = ? COLLATE NOCASE)")
		args = append(args, q.EntityText)
	}
	if q.Model != "" {
		where = append(where, "EXISTS (SELECT 1 FROM analyses a WHERE a.document_id = d.id AND (a.model_id = ? OR a.model_hash = ?))")
		args = append(args, q.Model, q.Model)
	}
	if q.Source != "" {
		where = append(where, "d.source = ?")
		args = append(args, q.Source)
	}
	if q.ImportID != 0 {
		where = append(where, "d.import_id = ?")
		args = append(args, q.ImportID)
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
	match := MatchExpr(q.Text)
	if strings.TrimSpace(q.Text) != "" && match == "" {
		if q.WithTotal {
			page.Total = 0
		}
		return page, nil
	}
	from, where, args := whereClause(q, match)
	if q.WithTotal {
		countSQL := "SELECT count(*) FROM " + from + joinWhere(where)
		if match != "" && len(where) == 1 {
			// Text only: count in the full-text index without the join.
			countSQL = "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?"
		}
		if err := db.rdb.QueryRowContext(ctx, countSQL, args...).Scan(&page.Total); err != nil {
			return page, fmt.Errorf("search count: %w", err)
		}
	}
	idCol := "d.id"
	preview := "substr(d.text, 1, " + strconv.Itoa(previewRunes) + ")"
	snippet := "''"
	if match != "" {
		idCol = "documents_fts.rowid"
		snippet = fmt.Sprintf("snippet(documents_fts, 0, char(1), char(2), '…', %d)", snippetWords)
	}
	if after > 0 {
		where = append(where, idCol+" < ?")
		args = append(args, after)
	}
	sqlText := `SELECT d.id, d.created_at, d.source, d.line, coalesce(d.import_id, 0), ` + preview + `, ` + snippet + `,
		s.label, s.score, s.model_id,
		(SELECT count(*) FROM entities e WHERE e.document_id = d.id)
		FROM ` + from + `
		LEFT JOIN analyses s ON s.id = (SELECT max(id) FROM analyses x WHERE x.document_id = d.id AND x.task = 'sentiment')` +
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
		var snip string
		var label, model *string
		var score *float64
		if err := rows.Scan(&h.ID, &created, &h.Source, &h.Line, &h.ImportID, &h.Text, &snip, &label, &score, &model, &h.Entities); err != nil {
			return page, fmt.Errorf("search: %w", err)
		}
		h.Created = fromNanos(created)
		if match != "" {
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
