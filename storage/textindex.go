package storage

import (
	"context"
	"fmt"
	"sync"
)

// The text-hash index that the second-level cache uses to find stored
// documents by their text has two parts (migrations/0004_text_index_tail.sql):
// text_index in SQLite, holding every document with id <= upto, and textTail
// in memory, holding the newer ones. New documents only enter the tail; when
// it holds TextIndexBatch documents, the writer merges the tail into
// text_index with one sorted INSERT … SELECT inside a write group's
// transaction. A random B-tree insert per document would dirty one index page
// per document; a sorted merge of tens of thousands dirties each index page
// about once.

// tailPerKey bounds the ids kept per key in the tail: the same text stored
// many times needs only its newest documents there to be found.
const tailPerKey = 16

// textKey is the part of a text hash that the index holds (48 bits).
func textKey(textHash string) string {
	if len(textHash) > 12 {
		return textHash[:12]
	}
	return textHash
}

// textTail maps the keys of documents not yet merged into text_index to
// their ids, newest last. Only the writer goroutine (and open) changes it;
// lookups read it.
type textTail struct {
	mu  sync.RWMutex
	ids map[string][]int64
	n   int // documents added since the last reset (the merge trigger)
}

type tailEntry struct {
	key string
	id  int64
}

func (t *textTail) addLocked(key string, id int64) {
	if t.ids == nil {
		t.ids = map[string][]int64{}
	}
	s := t.ids[key]
	if len(s) == tailPerKey {
		s = append(s[:0], s[1:]...)
	}
	t.ids[key] = append(s, id)
	t.n++
}

// size is how many documents entered the tail since the last merge.
func (t *textTail) size() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.n
}

// committed applies a committed write group: after a merge the old tail is
// in text_index and is dropped; the group's new documents join the tail.
func (t *textTail) committed(merged bool, added []tailEntry) {
	if !merged && len(added) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if merged {
		t.ids = nil
		t.n = 0
	}
	for _, e := range added {
		t.addLocked(e.key, e.id)
	}
}

// candidates returns the ids of tail documents whose key is one of keys.
func (t *textTail) candidates(keys []string) []int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []int64
	for _, k := range keys {
		out = append(out, t.ids[k]...)
	}
	return out
}

// loadTextTail fills the tail from the documents that text_index does not
// hold yet (at most about TextIndexBatch of them, unless an older build
// wrote to the file).
func (db *DB) loadTextTail(ctx context.Context) error {
	rows, err := db.wc.QueryContext(ctx, `SELECT substr(sha256, 1, 12), id FROM documents
		WHERE id > (SELECT upto FROM text_index_state) ORDER BY id`)
	if err != nil {
		return fmt.Errorf("load text index tail: %w", mapErr(err))
	}
	defer rows.Close()
	db.tail.mu.Lock()
	defer db.tail.mu.Unlock()
	for rows.Next() {
		var key string
		var id int64
		if err := rows.Scan(&key, &id); err != nil {
			return fmt.Errorf("load text index tail: %w", err)
		}
		db.tail.addLocked(key, id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load text index tail: %w", mapErr(err))
	}
	return nil
}

// mergeTextIndex moves the tail into text_index inside the writer's open
// transaction. Documents are added in key order, so each index page is
// written about once however many documents the tail holds.
func (db *DB) mergeTextIndex(ctx context.Context) error {
	if _, err := db.stmt.merge.ExecContext(ctx); err != nil {
		return fmt.Errorf("merge text index: %w", err)
	}
	if _, err := db.stmt.mergeUpto.ExecContext(ctx); err != nil {
		return fmt.Errorf("merge text index: %w", err)
	}
	return nil
}
