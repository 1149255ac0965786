package storage

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strconv"
	"time"
)

// writeReq is one unit of work for the writer goroutine. Either fn runs
// inside the current group's transaction (it commits with the group or not
// at all; a failure of fn fails only its own request), or raw runs alone
// outside any transaction (VACUUM).
type writeReq struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Conn) error
	raw  func(ctx context.Context, c *sql.Conn) error
	size int // results it carries, for GroupCommitSize
	// docs marks fn as one that only inserts documents (StoreBatch): their
	// full-text entries may wait for the end of the group. Before any other
	// request runs, the pending entries are written, so that its deletes
	// (whose triggers remove full-text entries) see an index that holds
	// every document of the transaction.
	docs bool
	err  error
	done chan error
}

// write hands work to the writer and waits until it is committed. If ctx ends
// first, write returns ctx.Err() and the work may or may not be committed.
func (db *DB) write(ctx context.Context, size int, fn func(ctx context.Context, tx *sql.Conn) error) error {
	return db.submit(ctx, &writeReq{ctx: ctx, fn: fn, size: max(size, 1), done: make(chan error, 1)})
}

// writeDocs is write for work that only inserts documents (see writeReq.docs).
func (db *DB) writeDocs(ctx context.Context, size int, fn func(ctx context.Context, tx *sql.Conn) error) error {
	return db.submit(ctx, &writeReq{ctx: ctx, fn: fn, size: max(size, 1), docs: true, done: make(chan error, 1)})
}

// indexPending adds the documents inserted since the last call of the open
// transaction to the full-text index with one statement (see
// migrations/0002_fts_group_insert.sql), and those with emoji or CJK text
// to the trigram index with another.
func (db *DB) indexPending(ctx context.Context) error {
	first := db.groupFirstDoc
	if first == 0 {
		return nil
	}
	db.groupFirstDoc = 0
	if _, err := db.stmt.fts.ExecContext(ctx, first); err != nil {
		return fmt.Errorf("full-text index: %w", err)
	}
	if len(db.groupTri) == 0 {
		return nil
	}
	ids := make([]byte, 0, 1+len(db.groupTri)*8)
	ids = append(ids, '[')
	for i, id := range db.groupTri {
		if i > 0 {
			ids = append(ids, ',')
		}
		ids = strconv.AppendInt(ids, id, 10)
	}
	ids = append(ids, ']')
	db.groupTri = db.groupTri[:0]
	if _, err := db.stmt.tri.ExecContext(ctx, string(ids), trigramGlob); err != nil {
		return fmt.Errorf("trigram index: %w", err)
	}
	return nil
}

func (db *DB) writeRaw(ctx context.Context, raw func(ctx context.Context, c *sql.Conn) error) error {
	return db.submit(ctx, &writeReq{ctx: ctx, raw: raw, size: 1, done: make(chan error, 1)})
}

func (db *DB) submit(ctx context.Context, r *writeReq) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return ErrClosed
	}
	select {
	case db.writes <- r:
	case <-ctx.Done():
		db.mu.RUnlock()
		return ctx.Err()
	}
	db.mu.RUnlock()
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writer is the only goroutine that writes. It collects requests into groups
// bounded by GroupCommitSize results and GroupCommitDelay, and commits each
// group in one transaction. It exits when db.writes is closed and drained.
func (db *DB) writer() {
	defer close(db.done)
	var carry *writeReq // a request that ended the previous group
	for {
		first := carry
		carry = nil
		if first == nil {
			var ok bool
			if first, ok = <-db.writes; !ok {
				return
			}
		}
		if first.raw != nil {
			db.runRaw(first)
			continue
		}
		group := []*writeReq{first}
		n := first.size
		var timer *time.Timer
		var deadline <-chan time.Time
		if db.cfg.GroupCommitDelay > 0 {
			timer = time.NewTimer(db.cfg.GroupCommitDelay)
			deadline = timer.C
		}
		yielded := false
	collect:
		for n < db.cfg.GroupCommitSize {
			var r *writeReq
			var ok bool
			select {
			case r, ok = <-db.writes:
			default:
				if deadline == nil {
					// The queue is empty. Callers whose previous writes the
					// last commit released are often runnable but not yet
					// back: yield once so they can queue their next write
					// into this group, and go on while yielding brings
					// more. Without it, many concurrent callers commit in
					// tiny groups, each paying for a whole commit.
					if !yielded {
						yielded = true
						runtime.Gosched()
						continue
					}
					break collect
				}
				select {
				case r, ok = <-db.writes:
				case <-deadline:
					break collect
				}
			}
			if !ok {
				break collect
			}
			if r.raw != nil || n+r.size > db.cfg.GroupCommitSize {
				carry = r
				break collect
			}
			group = append(group, r)
			n += r.size
			yielded = false
		}
		if timer != nil {
			timer.Stop()
		}
		db.commitGroup(group)
	}
}

func (db *DB) runRaw(r *writeReq) {
	if err := r.ctx.Err(); err != nil {
		r.done <- err
		return
	}
	r.done <- r.raw(context.Background(), db.wc)
}

// commitGroup runs every request of the group in one transaction. A request
// that fails gets its error and the others are retried in a fresh
// transaction without it, so each one commits or fails as a whole.
func (db *DB) commitGroup(group []*writeReq) {
	// Work is done with a background context: cancelling a caller must not
	// interrupt a statement of a transaction shared with others.
	ctx := context.Background()
	live := group[:0:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	for len(live) > 0 {
		retry, err := db.tryGroup(ctx, live)
		if err == nil {
			for _, r := range live {
				r.done <- r.err
			}
			return
		}
		// The transaction failed as a whole.
		if retry == nil {
			for _, r := range live {
				if r.err == nil {
					r.err = err
				}
				r.done <- r.err
			}
			return
		}
		next := live[:0:0]
		for _, r := range live {
			if r == retry {
				r.done <- r.err
				continue
			}
			r.err = nil
			next = append(next, r)
		}
		live = next
	}
}

// tryGroup runs live in one transaction. It returns (nil, nil) on commit;
// (culprit, err) when culprit failed — the transaction is then rolled back
// and the others are to be retried without it; (nil, err) when BEGIN,
// the full-text indexing of the group's documents or COMMIT failed for
// everyone.
//
// Requests run without savepoints: a savepoint per request keeps a
// sub-journal of every page the group touches, which costs more than the
// work itself, and failures are rare (constraint violations, a full disk),
// so retrying the rest of the group is cheaper.
//
// The transaction is driven with plain BEGIN/COMMIT statements on the
// writer's own connection (not database/sql's Tx), so the statements
// prepared on that connection are used as they are, without re-preparing.
func (db *DB) tryGroup(ctx context.Context, live []*writeReq) (*writeReq, error) {
	c := db.wc
	rollback := func() { c.ExecContext(ctx, "ROLLBACK") } // error: no transaction left to undo
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return nil, fmt.Errorf("begin: %w", mapErr(err))
	}
	db.groupFirstDoc = 0
	db.groupNewDocs = db.groupNewDocs[:0]
	db.groupTri = db.groupTri[:0]
	clear(db.groupDocs)
	if db.groupDocs == nil {
		db.groupDocs = map[string][]groupDoc{}
	}
	merged := false
	if db.tail.size() >= db.cfg.TextIndexBatch {
		if err := db.mergeTextIndex(ctx); err != nil {
			rollback()
			err = mapErr(err)
			db.log.Warn("storage group commit failed", "error", err, "requests", len(live))
			return nil, err
		}
		merged = true
	}
	for _, r := range live {
		r.err = nil
		if !r.docs {
			if err := db.indexPending(ctx); err != nil {
				rollback()
				err = mapErr(err)
				db.log.Warn("storage group commit failed", "error", err, "requests", len(live))
				return nil, err
			}
		}
		if ferr := r.fn(ctx, c); ferr != nil {
			r.err = mapErr(ferr)
			rollback()
			return r, r.err
		}
	}
	// Index the group's new documents with one statement. A failure here
	// (a full disk) fails the whole group: nothing of it is committed.
	if err := db.indexPending(ctx); err != nil {
		rollback()
		err = mapErr(err)
		db.log.Warn("storage group commit failed", "error", err, "requests", len(live))
		return nil, err
	}
	if _, err := c.ExecContext(ctx, "COMMIT"); err != nil {
		rollback()
		err = mapErr(err)
		db.log.Warn("storage group commit failed", "error", err, "requests", len(live))
		return nil, fmt.Errorf("commit: %w", err)
	}
	db.tail.committed(merged, db.groupNewDocs)
	return nil, nil
}
