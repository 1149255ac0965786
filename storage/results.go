package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// IDs of stored rows.
type (
	DocID      int64
	AnalysisID int64
	ImportID   int64
	RunID      int64
)

// Task names stored by nlpscope (the engine's task names). Any non-empty
// task is accepted.
const (
	TaskSentiment = "sentiment"
	TaskEntities  = "entities"
)

// LabelScore is one label's probability.
type LabelScore struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// Timings are the stage durations of one analysis.
type Timings struct {
	QueueWait   time.Duration `json:"queue_wait_ns"`
	Tokenize    time.Duration `json:"tokenize_ns"`
	Inference   time.Duration `json:"inference_ns"`
	Postprocess time.Duration `json:"postprocess_ns"`
}

// Entity is one named-entity span; Start and End are Unicode code-point
// offsets into the document text, End exclusive.
type Entity struct {
	Label string  `json:"label"`
	Text  string  `json:"text"`
	Start int     `json:"start"`
	End   int     `json:"end"`
	Score float64 `json:"score"`
}

// Analysis is one pipeline's result for a document. ID and Created are set
// by storage when read back and ignored by Store.
type Analysis struct {
	ID        AnalysisID   `json:"id,omitempty"`
	Task      string       `json:"task"`       // TaskSentiment, TaskEntities, …
	ModelID   string       `json:"model"`      // name@hash12
	ModelHash string       `json:"model_hash"` // sha256 of the ONNX file, hex
	Options   string       `json:"options"`    // canonical options string, part of the cache key
	Label     string       `json:"label,omitempty"`
	Score     float64      `json:"score,omitempty"`
	Scores    []LabelScore `json:"scores,omitempty"`
	Entities  []Entity     `json:"entities,omitempty"`
	Timings   Timings      `json:"timings"`
	Created   time.Time    `json:"created,omitzero"`
	// Sentiment only: how the label was read ("whole", "mean", "majority";
	// "" for analyses stored before it was recorded), whether only the
	// first window was read, and each sentence's scores.
	Method    string     `json:"method,omitempty"`
	Truncated bool       `json:"truncated,omitempty"`
	Sentences []Sentence `json:"sentences,omitempty"`
}

// Sentence is the sentiment of one sentence of a document; Start and End
// are code-point offsets, End exclusive.
type Sentence struct {
	Start  int          `json:"start"`
	End    int          `json:"end"`
	Label  string       `json:"label"`
	Score  float64      `json:"score"`
	Scores []LabelScore `json:"scores"`
}

// detail is the JSON of an analysis' detail column.
type detail struct {
	Method    string     `json:"method"`
	Truncated bool       `json:"truncated,omitempty"`
	Sentences []Sentence `json:"sentences,omitempty"`
}

// Result is one document with the analyses made of it; Store writes it as a
// whole (the document and all its analyses commit together or not at all).
type Result struct {
	Text     string    // the analysed text, valid UTF-8, not empty
	Source   string    // source file path; "" for pasted text
	Line     int       // 1-based line in Source; 0 when not from a file
	ImportID ImportID  // the import it belongs to; 0 for none
	ExtID    string    // the row's id in its source (an import's id column); "" for none
	Time     time.Time // the row's date/time (an import's date column); zero for none
	// Meta is the row's metadata (an import's meta columns): at most
	// MaxMetaKeys keys, MaxMetaValueBytes a value, MaxMetaBytes in all;
	// nil or empty for none.
	Meta     map[string]string
	Analyses []Analysis // usually a sentiment and/or an entities analysis
	// KeepDuplicate stores a new document even when one with the same
	// text and analyses (same task, model hash and options) is stored.
	// Without it such a result is a duplicate: the stored document's seen
	// count goes up, the import row is linked to it (import_rows) and its
	// id is returned.
	KeepDuplicate bool
}

// Bounds of a document's metadata (Result.Meta), as the input readers
// apply them.
const (
	MaxMetaKeys       = 64
	MaxMetaValueBytes = 1 << 10
	MaxMetaBytes      = 16 << 10
)

// Document is a stored document with its analyses (oldest first) and their
// entities (by start offset).
type Document struct {
	ID       DocID             `json:"id"`
	Text     string            `json:"text"`
	SHA256   string            `json:"sha256"`
	Source   string            `json:"source,omitempty"`
	Line     int               `json:"line,omitempty"`
	ImportID ImportID          `json:"import_id,omitempty"`
	ExtID    string            `json:"ext_id,omitempty"`
	Time     time.Time         `json:"time,omitzero"`
	Meta     map[string]string `json:"meta,omitempty"`
	Created  time.Time         `json:"created"`
	Analyses []Analysis        `json:"analyses"`
	// Seen is how many times the text was stored with these analyses
	// (1 + its duplicates); Imports are the imports it came from, in id
	// order (none for pasted text).
	Seen    int        `json:"seen"`
	Imports []ImportID `json:"imports"`
}

// TextHash is the hex sha256 of text: documents.sha256 and the text part of
// the cache key given to Lookup.
func TextHash(text string) string {
	h := sha256.Sum256([]byte(text))
	return hex.EncodeToString(h[:])
}

func (r *Result) validate() error {
	if r.Text == "" {
		return fmt.Errorf("%w: empty text", ErrInvalid)
	}
	if !utf8.ValidString(r.Text) {
		return fmt.Errorf("%w: text is not valid UTF-8", ErrInvalid)
	}
	if r.Line < 0 || r.ImportID < 0 {
		return fmt.Errorf("%w: negative line or import id", ErrInvalid)
	}
	if len(r.Meta) > MaxMetaKeys {
		return fmt.Errorf("%w: %d meta keys, over the limit of %d", ErrInvalid, len(r.Meta), MaxMetaKeys)
	}
	total := 0
	for k, v := range r.Meta {
		if k == "" || !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("%w: meta %q is empty or not valid UTF-8", ErrInvalid, k)
		}
		if len(v) > MaxMetaValueBytes {
			return fmt.Errorf("%w: meta %q is %d bytes, over the limit of %d", ErrInvalid, k, len(v), MaxMetaValueBytes)
		}
		total += len(k) + len(v)
	}
	if total > MaxMetaBytes {
		return fmt.Errorf("%w: meta is %d bytes, over the limit of %d", ErrInvalid, total, MaxMetaBytes)
	}
	n := utf8.RuneCountInString(r.Text)
	for i, a := range r.Analyses {
		if a.Task == "" {
			return fmt.Errorf("%w: analysis %d has no task", ErrInvalid, i)
		}
		for j, e := range a.Entities {
			if e.Start < 0 || e.End < e.Start || e.End > n {
				return fmt.Errorf("%w: analysis %d entity %d: span [%d,%d) outside text of %d code points",
					ErrInvalid, i, j, e.Start, e.End, n)
			}
		}
	}
	return nil
}

type writerStmts struct {
	doc, analysis, entity, fts, tri, merge, mergeUpto *sql.Stmt
	dupFind, seen, importRow                          *sql.Stmt
}

func (s *writerStmts) close() {
	for _, st := range []*sql.Stmt{s.doc, s.analysis, s.entity, s.fts, s.tri, s.merge, s.mergeUpto, s.dupFind, s.seen, s.importRow} {
		if st != nil {
			st.Close()
		}
	}
}

func (db *DB) prepare(ctx context.Context) error {
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.wc.PrepareContext(ctx, q)
		return st
	}
	db.stmt.doc = prep(`INSERT INTO documents(import_id, text, sha256, source, line, ext_id, doc_time, meta, created_at, sentiment, sentiment_score)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	db.stmt.analysis = prep(`INSERT INTO analyses(document_id, task, model_id, model_hash, options,
		label, score, scores, queue_ns, tokenize_ns, inference_ns, postprocess_ns, created_at, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	db.stmt.entity = prep(`INSERT INTO entities(analysis_id, document_id, label, text, norm, start_pos, end_pos, score)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	// Documents of one write group get consecutive ids above every older
	// one (a single writer; rowids are max+1), so "id >= first" is exactly
	// the group's documents.
	db.stmt.fts = prep(`INSERT INTO documents_fts(rowid, text) SELECT id, text FROM documents WHERE id >= ?`)
	// The trigram index takes the documents that the migration's triggers
	// remove again: those matching trigramGlob (migrations/*_trigram.sql).
	// The ids are the group's documents that may hold such a rune.
	db.stmt.tri = prep(`INSERT INTO documents_tri(rowid, text) SELECT id, text FROM documents
		WHERE id IN (SELECT value FROM json_each(?)) AND text GLOB ?`)
	// See textindex.go. OR IGNORE: after deletes lowered upto, part of the
	// range may be in the index already.
	db.stmt.merge = prep(`INSERT OR IGNORE INTO text_index(key, doc_id)
		SELECT substr(sha256, 1, 12), id FROM documents WHERE id > (SELECT upto FROM text_index_state) ORDER BY 1, 2`)
	db.stmt.mergeUpto = prep(`UPDATE text_index_state SET upto = (SELECT coalesce(max(id), 0) FROM documents)`)
	// Duplicates (migrations/*_duplicates.sql): the analyses of the stored
	// documents whose key is one of ?1 (text_index) or whose id is one of
	// ?2 (the tail); the caller compares the whole hash.
	db.stmt.dupFind = prep(`SELECT d.id, d.sha256, a.task, a.model_hash, a.options FROM documents d JOIN analyses a ON a.document_id = d.id
		WHERE d.id IN (SELECT doc_id FROM text_index WHERE key IN (SELECT value FROM json_each(?1))
			UNION SELECT value FROM json_each(?2))`)
	db.stmt.seen = prep(`UPDATE documents SET seen = seen + 1 WHERE id = ? RETURNING seen`)
	db.stmt.importRow = prep(`INSERT INTO import_rows(import_id, source, line, document_id) VALUES (?, ?, ?, ?)`)
	if err != nil {
		db.stmt.close()
		return fmt.Errorf("prepare: %w", err)
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// prepared is what StoreBatch computes for one result before handing it to
// the writer, so that the writer goroutine spends its time in SQLite only.
type prepared struct {
	sum     string     // TextHash of the text
	meta    string     // JSON of Result.Meta; "" for none
	scores  [][]byte   // JSON scores per analysis
	details []string   // JSON detail per analysis ("" for none)
	keys    [][]string // EntityKey of each entity, per analysis
	// sentiment and score are the newest (last) sentiment analysis's, or
	// nil: documents.sentiment and sentiment_score.
	sentiment, score any
	// akeys are the analyses' duplicate keys (analysisKey), sorted and
	// without repeats; nil when the result is never a duplicate.
	akeys []string
}

// analysisKey is what two analyses must share for a text analysed again to
// be a duplicate of a stored document.
func analysisKey(task, modelHash, options string) string {
	return task + "\x00" + modelHash + "\x00" + options
}

// covers reports whether have (sorted) holds every key of want (sorted).
func covers(have, want []string) bool {
	i := 0
	for _, w := range want {
		for i < len(have) && have[i] < w {
			i++
		}
		if i == len(have) || have[i] != w {
			return false
		}
	}
	return true
}

func prepareResult(r *Result) (prepared, error) {
	p := prepared{sum: TextHash(r.Text)}
	var err error
	if len(r.Meta) > 0 {
		b, err := json.Marshal(r.Meta) // keys sorted
		if err != nil {
			return p, fmt.Errorf("%w: meta: %v", ErrInvalid, err)
		}
		p.meta = string(b)
	}
	if p.scores, err = marshalScores(r); err != nil {
		return p, err
	}
	p.details = make([]string, len(r.Analyses))
	for i, a := range r.Analyses {
		if a.Method == "" && !a.Truncated && len(a.Sentences) == 0 {
			continue
		}
		b, err := json.Marshal(detail{Method: a.Method, Truncated: a.Truncated, Sentences: a.Sentences})
		if err != nil {
			return p, fmt.Errorf("%w: sentences: %v", ErrInvalid, err)
		}
		p.details[i] = string(b)
	}
	if !r.KeepDuplicate && len(r.Analyses) > 0 {
		p.akeys = make([]string, len(r.Analyses))
		for i, a := range r.Analyses {
			p.akeys[i] = analysisKey(a.Task, a.ModelHash, a.Options)
		}
		slices.Sort(p.akeys)
		p.akeys = slices.Compact(p.akeys)
	}
	p.keys = make([][]string, len(r.Analyses))
	for i, a := range r.Analyses {
		if a.Task == TaskSentiment {
			p.sentiment, p.score = a.Label, a.Score
		}
		if len(a.Entities) == 0 {
			continue
		}
		p.keys[i] = make([]string, len(a.Entities))
		for j, e := range a.Entities {
			p.keys[i][j] = EntityKey(e.Text)
		}
	}
	return p, nil
}

// insertResult writes one result inside the writer's open transaction.
func (db *DB) insertResult(ctx context.Context, r *Result, p *prepared, now int64) (DocID, error) {
	sum := p.sum
	var docTime any
	if !r.Time.IsZero() {
		docTime = nanos(r.Time)
	}
	res, err := db.stmt.doc.ExecContext(ctx, nullID(int64(r.ImportID)), r.Text, sum, r.Source, r.Line, r.ExtID, docTime, p.meta, now, p.sentiment, p.score)
	if err != nil {
		return 0, fmt.Errorf("insert document: %w", err)
	}
	docID, _ := res.LastInsertId()
	if p.akeys != nil {
		db.groupDocs[sum] = append(db.groupDocs[sum], groupDoc{docID, p.akeys})
	}
	if db.groupFirstDoc == 0 {
		db.groupFirstDoc = docID
	}
	db.groupNewDocs = append(db.groupNewDocs, tailEntry{textKey(sum), docID})
	if mayHaveSubstrRune(r.Text) {
		db.groupTri = append(db.groupTri, docID)
	}
	if len(r.Analyses) == 0 {
		return DocID(docID), nil
	}
	ast := db.stmt.analysis
	est := db.stmt.entity
	for i := range r.Analyses {
		a := &r.Analyses[i]
		res, err := ast.ExecContext(ctx, docID, a.Task, a.ModelID, a.ModelHash, a.Options,
			a.Label, a.Score, p.scores[i],
			int64(a.Timings.QueueWait), int64(a.Timings.Tokenize), int64(a.Timings.Inference), int64(a.Timings.Postprocess), now,
			p.details[i])
		if err != nil {
			return 0, fmt.Errorf("insert analysis: %w", err)
		}
		aID, _ := res.LastInsertId()
		for j, e := range a.Entities {
			if _, err := est.ExecContext(ctx, aID, docID, e.Label, e.Text, p.keys[i][j], e.Start, e.End, e.Score); err != nil {
				return 0, fmt.Errorf("insert entity: %w", err)
			}
		}
	}
	return DocID(docID), nil
}

// groupDoc is a document inserted by the open write group that later
// results of the group may duplicate.
type groupDoc struct {
	id    int64
	akeys []string
}

// storedDuplicates finds, inside the writer's transaction, the stored
// documents that results of preps may duplicate: by text hash, with their
// analyses' keys (sorted). Documents of the open group are in db.groupDocs.
func (db *DB) storedDuplicates(ctx context.Context, preps []prepared) (map[string][]groupDoc, error) {
	var keys []string
	for i := range preps {
		if preps[i].akeys != nil {
			keys = append(keys, textKey(preps[i].sum))
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	want := make(map[string]bool, len(keys))
	for i := range preps {
		if preps[i].akeys != nil {
			want[preps[i].sum] = true
		}
	}
	// Keys are hex digits: a JSON array without escaping.
	keyJSON := make([]byte, 0, 2+len(keys)*15)
	keyJSON = append(keyJSON, '[')
	for i, k := range keys {
		if i > 0 {
			keyJSON = append(keyJSON, ',')
		}
		keyJSON = append(append(append(keyJSON, '"'), k...), '"')
	}
	keyJSON = append(keyJSON, ']')
	tail := db.tail.candidates(keys)
	idJSON := make([]byte, 0, 2+len(tail)*8)
	idJSON = append(idJSON, '[')
	for i, id := range tail {
		if i > 0 {
			idJSON = append(idJSON, ',')
		}
		idJSON = strconv.AppendInt(idJSON, id, 10)
	}
	idJSON = append(idJSON, ']')
	rows, err := db.stmt.dupFind.QueryContext(ctx, string(keyJSON), string(idJSON))
	if err != nil {
		return nil, fmt.Errorf("find duplicates: %w", err)
	}
	defer rows.Close()
	byID := map[int64]*groupDoc{}
	sums := map[int64]string{}
	for rows.Next() {
		var id int64
		var sum, task, hash, options string
		if err := rows.Scan(&id, &sum, &task, &hash, &options); err != nil {
			return nil, fmt.Errorf("find duplicates: %w", err)
		}
		if !want[sum] {
			continue // same key, other text
		}
		g := byID[id]
		if g == nil {
			g = &groupDoc{id: id}
			byID[id] = g
			sums[id] = sum
		}
		g.akeys = append(g.akeys, analysisKey(task, hash, options))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find duplicates: %w", err)
	}
	out := map[string][]groupDoc{}
	for id, g := range byID {
		slices.Sort(g.akeys)
		out[sums[id]] = append(out[sums[id]], *g)
	}
	return out, nil
}

// duplicateOf returns the id of the newest document, of the open group or
// of stored, that p's result duplicates, or 0.
func (db *DB) duplicateOf(p *prepared, stored map[string][]groupDoc) int64 {
	if p.akeys == nil {
		return 0
	}
	var best int64
	for _, g := range db.groupDocs[p.sum] {
		if g.id > best && covers(g.akeys, p.akeys) {
			best = g.id
		}
	}
	for _, g := range stored[p.sum] {
		if g.id > best && covers(g.akeys, p.akeys) {
			best = g.id
		}
	}
	return best
}

// storeDuplicate counts r as one more sighting of document id, linking its
// import row, and returns its new seen count; 0 when the document is gone
// (a delete earlier in the group): r is then to be inserted.
func (db *DB) storeDuplicate(ctx context.Context, r *Result, id int64) (seen int, err error) {
	err = db.stmt.seen.QueryRowContext(ctx, id).Scan(&seen)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("count duplicate: %w", err)
	}
	if r.ImportID == 0 {
		return seen, nil
	}
	if _, err := db.stmt.importRow.ExecContext(ctx, int64(r.ImportID), r.Source, r.Line, id); err != nil {
		return 0, fmt.Errorf("link duplicate: %w", err)
	}
	return seen, nil
}

func marshalScores(r *Result) ([][]byte, error) {
	out := make([][]byte, len(r.Analyses))
	for i, a := range r.Analyses {
		s := a.Scores
		if s == nil {
			s = []LabelScore{}
		}
		b, err := json.Marshal(s)
		if err != nil {
			return nil, fmt.Errorf("%w: scores: %v", ErrInvalid, err)
		}
		out[i] = b
	}
	return out, nil
}

// Store writes one document with its analyses and returns its id once the
// transaction holding it has committed. It is safe for concurrent use;
// concurrent calls share commits (group commit). Invalid input returns
// ErrInvalid and writes nothing. If ctx ends first Store returns ctx.Err()
// and the result may or may not have been stored.
func (db *DB) Store(ctx context.Context, r Result) (DocID, error) {
	ids, err := db.StoreBatch(ctx, []Result{r})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// StoreBatch writes results in one transaction — all of them or none — and
// returns their ids, in order, once committed. It is safe for concurrent use.
// A result that duplicates a stored document (see Result.KeepDuplicate)
// returns that document's id.
func (db *DB) StoreBatch(ctx context.Context, rs []Result) ([]DocID, error) {
	st, err := db.StoreResults(ctx, rs)
	if err != nil {
		return nil, err
	}
	ids := make([]DocID, len(st))
	for i, s := range st {
		ids[i] = s.ID
	}
	return ids, nil
}

// Stored is what StoreResults did with one result.
type Stored struct {
	ID        DocID
	Duplicate bool // counted as one more sighting of an existing document
	Seen      int  // the document's seen count after this result
}

// StoreResults is StoreBatch reporting, per result, whether it was a
// duplicate and the document's seen count.
func (db *DB) StoreResults(ctx context.Context, rs []Result) ([]Stored, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	preps := make([]prepared, len(rs))
	for i := range rs {
		if err := rs[i].validate(); err != nil {
			return nil, fmt.Errorf("result %d: %w", i, err)
		}
		p, err := prepareResult(&rs[i])
		if err != nil {
			return nil, fmt.Errorf("result %d: %w", i, err)
		}
		preps[i] = p
	}
	ids := make([]Stored, len(rs))
	err := db.writeDocs(ctx, len(rs), func(ctx context.Context, tx *sql.Conn) error {
		now := nanos(db.cfg.Now())
		stored, err := db.storedDuplicates(ctx, preps)
		if err != nil {
			return err
		}
		for i := range rs {
			if dup := db.duplicateOf(&preps[i], stored); dup != 0 {
				seen, err := db.storeDuplicate(ctx, &rs[i], dup)
				if err != nil {
					return err
				}
				if seen > 0 {
					ids[i] = Stored{ID: DocID(dup), Duplicate: true, Seen: seen}
					continue
				}
			}
			id, err := db.insertResult(ctx, &rs[i], &preps[i], now)
			if err != nil {
				return err
			}
			ids[i] = Stored{ID: id, Seen: 1}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return ids, nil
}

// Lookup returns the newest stored analysis made with the same model hash,
// task and options of a text whose TextHash is textHash — the second-level
// cache. ok is false when there is none. Hits and misses are counted (see
// CacheStats).
func (db *DB) Lookup(ctx context.Context, modelHash, task, options, textHash string) (a Analysis, ok bool, err error) {
	got, err := db.LookupMany(ctx, modelHash, task, options, []string{textHash})
	if err != nil {
		return Analysis{}, false, err
	}
	a, ok = got[textHash]
	return a, ok, nil
}

// lookupChunk bounds the text hashes of one LookupMany query (SQLite allows
// 32766 parameters; smaller statements plan and run just as fast).
const lookupChunk = 500

// LookupMany is Lookup for many texts at once: it returns, for each text
// hash that has one, the newest stored analysis made with the same model
// hash, task and options, with its entities. It asks SQLite a few queries
// per 500 distinct hashes (the text index, the newest documents, the
// entities of the hits), not one per text. Every requested hash counts as one hit or one miss, duplicates
// included.
func (db *DB) LookupMany(ctx context.Context, modelHash, task, options string, textHashes []string) (map[string]Analysis, error) {
	out := map[string]Analysis{}
	if len(textHashes) == 0 {
		return out, nil
	}
	uniq := make([]string, 0, len(textHashes))
	want := make(map[string]bool, len(textHashes))
	for _, h := range textHashes {
		if !want[h] {
			want[h] = true
			uniq = append(uniq, h)
		}
	}
	byID := map[AnalysisID]string{} // analysis id -> text hash, of the newest per hash
	keys := make([]string, len(uniq))
	for i, h := range uniq {
		keys[i] = textKey(h)
	}
	// The tail is read before the snapshot starts: a merge committed in
	// between then finds the documents still in the tail (their ids stay
	// valid), not missing from both parts.
	ids := db.tail.candidates(keys)
	// One read transaction: the analyses and their entities come from the
	// same snapshot.
	tx, err := db.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("lookup: %w", err)
	}
	defer tx.Rollback()
	// Merged documents through text_index, then the newest ones through the
	// in-memory tail (textindex.go).
	for start := 0; start < len(keys); start += lookupChunk {
		q, args := lookupIndexedQuery(modelHash, task, options, keys[start:min(start+lookupChunk, len(keys))])
		if err := lookupAnalyses(ctx, tx, q, args, want, out, byID); err != nil {
			return nil, fmt.Errorf("lookup: %w", err)
		}
	}
	for start := 0; start < len(ids); start += lookupChunk {
		q, args := lookupIDsQuery(modelHash, task, options, ids[start:min(start+lookupChunk, len(ids))])
		if err := lookupAnalyses(ctx, tx, q, args, want, out, byID); err != nil {
			return nil, fmt.Errorf("lookup: %w", err)
		}
	}
	if err := loadEntitiesOf(ctx, tx, byID, out); err != nil {
		return nil, fmt.Errorf("lookup: %w", err)
	}
	for _, h := range textHashes {
		if _, ok := out[h]; ok {
			db.cacheHits.Add(1)
		} else {
			db.cacheMisses.Add(1)
		}
	}
	return out, nil
}

// lookupAnalyses runs a lookup query and keeps in out the newest analysis
// of each wanted text hash (a key is a prefix of the hash: other texts may
// share it).
func lookupAnalyses(ctx context.Context, tx *sql.Tx, q string, args []any, want map[string]bool,
	out map[string]Analysis, byID map[AnalysisID]string) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var sum string
		a, err := scanAnalysisWith(rows, &sum)
		if err != nil {
			return err
		}
		if !want[sum] {
			continue // same key, other text
		}
		if old, ok := out[sum]; ok {
			if old.ID >= a.ID {
				continue
			}
			delete(byID, old.ID)
		}
		out[sum] = a
		byID[a.ID] = sum
	}
	return rows.Err()
}

// lookupIndexedQuery finds the analyses of documents in text_index whose key
// is one of keys.
func lookupIndexedQuery(modelHash, task, options string, keys []string) (string, []any) {
	return lookupQuery(`text_index t JOIN documents d ON d.id = t.doc_id`, "t.key", modelHash, task, options, keys)
}

// lookupIDsQuery finds the analyses of the documents ids (from the tail).
func lookupIDsQuery(modelHash, task, options string, ids []int64) (string, []any) {
	return lookupQuery(`documents d`, "d.id", modelHash, task, options, ids)
}

func lookupQuery[T any](from, col, modelHash, task, options string, in []T) (string, []any) {
	args := make([]any, 0, len(in)+3)
	for _, v := range in {
		args = append(args, v)
	}
	args = append(args, modelHash, task, options)
	q := `SELECT d.sha256, ` + analysisColsOf("a") + ` FROM ` + from + ` JOIN analyses a ON a.document_id = d.id
		WHERE ` + col + ` IN (?` + strings.Repeat(", ?", len(in)-1) + `) AND a.model_hash = ? AND a.task = ? AND a.options = ?`
	return q, args
}

// loadEntitiesOf fills the entities of the analyses in byID (keyed by text
// hash in out), in chunks of lookupChunk ids.
func loadEntitiesOf(ctx context.Context, tx *sql.Tx, byID map[AnalysisID]string, out map[string]Analysis) error {
	ids := make([]any, 0, len(byID))
	for id := range byID {
		ids = append(ids, int64(id))
	}
	for start := 0; start < len(ids); start += lookupChunk {
		chunk := ids[start:min(start+lookupChunk, len(ids))]
		q := `SELECT analysis_id, label, text, start_pos, end_pos, score FROM entities
			WHERE analysis_id IN (?` + strings.Repeat(", ?", len(chunk)-1) + `) ORDER BY analysis_id, start_pos, id`
		rows, err := tx.QueryContext(ctx, q, chunk...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id AnalysisID
			var e Entity
			if err := rows.Scan(&id, &e.Label, &e.Text, &e.Start, &e.End, &e.Score); err != nil {
				rows.Close()
				return err
			}
			h := byID[id]
			a := out[h]
			a.Entities = append(a.Entities, e)
			out[h] = a
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// CacheStats reports Lookup hits and misses since Open.
func (db *DB) CacheStats() (hits, misses uint64) {
	return db.cacheHits.Load(), db.cacheMisses.Load()
}

const analysisCols = `id, task, model_id, model_hash, options, label, score, scores,
	queue_ns, tokenize_ns, inference_ns, postprocess_ns, created_at, detail`

// analysisColsOf is analysisCols qualified with a table alias.
func analysisColsOf(alias string) string {
	cols := strings.Split(analysisCols, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

type scanner interface{ Scan(dest ...any) error }

func scanAnalysis(s scanner) (Analysis, error) { return scanAnalysisWith(s) }

// scanAnalysisWith scans extra leading columns into first, then analysisCols.
func scanAnalysisWith(s scanner, first ...any) (Analysis, error) {
	var a Analysis
	var scores, det string
	var q, t, i, p, created int64
	dest := append(first, &a.ID, &a.Task, &a.ModelID, &a.ModelHash, &a.Options, &a.Label, &a.Score, &scores,
		&q, &t, &i, &p, &created, &det)
	if err := s.Scan(dest...); err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(scores), &a.Scores); err != nil {
		return a, fmt.Errorf("analysis %d: scores: %w", a.ID, err)
	}
	if len(a.Scores) == 0 {
		a.Scores = nil
	}
	if det != "" {
		var d detail
		if err := json.Unmarshal([]byte(det), &d); err != nil {
			return a, fmt.Errorf("analysis %d: detail: %w", a.ID, err)
		}
		a.Method, a.Truncated, a.Sentences = d.Method, d.Truncated, d.Sentences
	}
	a.Timings = Timings{time.Duration(q), time.Duration(t), time.Duration(i), time.Duration(p)}
	a.Created = fromNanos(created)
	return a, nil
}

// Get returns a document with its analyses and entities, or ErrNotFound.
func (db *DB) Get(ctx context.Context, id DocID) (Document, error) {
	tx, err := db.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}) // one snapshot
	if err != nil {
		return Document{}, fmt.Errorf("get document %d: %w", id, err)
	}
	defer tx.Rollback()
	var d Document
	var imp, docTime sql.NullInt64
	var created int64
	var meta string
	err = tx.QueryRowContext(ctx, `SELECT id, text, sha256, source, line, import_id, ext_id, doc_time, meta, created_at, seen
		FROM documents WHERE id = ?`, id).Scan(&d.ID, &d.Text, &d.SHA256, &d.Source, &d.Line, &imp, &d.ExtID, &docTime, &meta, &created, &d.Seen)
	if errors.Is(err, sql.ErrNoRows) {
		return Document{}, fmt.Errorf("document %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Document{}, fmt.Errorf("get document %d: %w", id, err)
	}
	d.ImportID = ImportID(imp.Int64)
	if docTime.Valid {
		d.Time = fromNanos(docTime.Int64)
	}
	d.Created = fromNanos(created)
	if d.Meta, err = parseMeta(meta); err != nil {
		return Document{}, fmt.Errorf("get document %d: %w", id, err)
	}
	if d.Imports, err = documentImports(ctx, tx, id); err != nil {
		return Document{}, fmt.Errorf("get document %d: %w", id, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+analysisCols+` FROM analyses WHERE document_id = ? ORDER BY id`, id)
	if err != nil {
		return Document{}, fmt.Errorf("get document %d: %w", id, err)
	}
	byID := map[AnalysisID]int{}
	for rows.Next() {
		a, err := scanAnalysis(rows)
		if err != nil {
			rows.Close()
			return Document{}, fmt.Errorf("get document %d: %w", id, err)
		}
		byID[a.ID] = len(d.Analyses)
		d.Analyses = append(d.Analyses, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Document{}, fmt.Errorf("get document %d: %w", id, err)
	}
	erows, err := tx.QueryContext(ctx, `SELECT analysis_id, label, text, start_pos, end_pos, score FROM entities
		WHERE document_id = ? ORDER BY start_pos, id`, id)
	if err != nil {
		return Document{}, fmt.Errorf("get document %d: %w", id, err)
	}
	defer erows.Close()
	for erows.Next() {
		var aid AnalysisID
		var e Entity
		if err := erows.Scan(&aid, &e.Label, &e.Text, &e.Start, &e.End, &e.Score); err != nil {
			return Document{}, fmt.Errorf("get document %d: %w", id, err)
		}
		if i, ok := byID[aid]; ok {
			d.Analyses[i].Entities = append(d.Analyses[i].Entities, e)
		}
	}
	if err := erows.Err(); err != nil {
		return Document{}, fmt.Errorf("get document %d: %w", id, err)
	}
	return d, nil
}

// parseMeta reads documents.meta: nil for "".
func parseMeta(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	return m, nil
}

// documentImports returns the imports a document came from, in id order:
// its own and those of its duplicate rows.
func documentImports(ctx context.Context, tx *sql.Tx, id DocID) ([]ImportID, error) {
	rows, err := tx.QueryContext(ctx, `SELECT import_id FROM documents WHERE id = ?1 AND import_id IS NOT NULL
		UNION SELECT import_id FROM import_rows WHERE document_id = ?1 ORDER BY 1`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ImportID{}
	for rows.Next() {
		var v ImportID
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
