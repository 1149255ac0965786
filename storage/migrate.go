package storage

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order. File names are
// NNNN_name.sql; versions start at 1 and have no gaps.
func migrations() []migration {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		panic(fmt.Sprintf("storage: embedded migrations: %v", err))
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			panic(fmt.Sprintf("storage: bad migration file name %q", name))
		}
		b, err := migrationFS.ReadFile(path.Join("migrations", name))
		if err != nil {
			panic(fmt.Sprintf("storage: read migration %q: %v", name, err))
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(name, ".sql"), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			panic(fmt.Sprintf("storage: migration %q out of sequence (want version %d)", m.name, i+1))
		}
	}
	return ms
}

func latestVersion() int { return len(migrations()) }

// migrate applies pending migrations, each in its own transaction that also
// records the version (PRAGMA user_version and a schema_migrations row), so
// a failed migration leaves the database at the previous version.
func migrate(ctx context.Context, c *sql.Conn, now func() time.Time, log *slog.Logger) error {
	var current int
	if err := c.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", mapErr(err))
	}
	latest := latestVersion()
	if current > latest {
		return fmt.Errorf("%w (file has version %d, this build knows up to %d)", ErrSchemaTooNew, current, latest)
	}
	for _, m := range migrations() {
		if m.version <= current {
			continue
		}
		if err := applyMigration(ctx, c, m, now()); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, mapErr(err))
		}
		log.Info("storage migration applied", slog.Int("version", m.version), slog.String("name", m.name))
	}
	return nil
}

// fkOffDirective, as the first line of a migration, makes it run with
// foreign keys off (a table rebuild: dropping the old table would otherwise
// run its ON DELETE actions). The pragma is a no-op inside a transaction, so
// it is set around it; the foreign keys are checked before the commit.
const fkOffDirective = "-- migrate: foreign_keys off"

func applyMigration(ctx context.Context, c *sql.Conn, m migration, at time.Time) (err error) {
	fkOff := strings.HasPrefix(m.sql, fkOffDirective)
	if fkOff {
		if _, err := c.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
			return err
		}
		defer func() {
			if _, e := c.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON"); e != nil && err == nil {
				err = e
			}
		}()
	}
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at INTEGER NOT NULL
		)`,
		m.sql,
	}
	for _, s := range stmts {
		if _, err = tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	if _, err = tx.ExecContext(ctx, "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
		m.version, m.name, nanos(at)); err != nil {
		return err
	}
	if fkOff {
		rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
		if err != nil {
			return err
		}
		bad := rows.Next()
		rows.Close()
		if bad {
			return fmt.Errorf("foreign key check failed after the migration")
		}
	}
	// PRAGMA takes no parameters; m.version is an int from our own file names.
	if _, err = tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		return err
	}
	return tx.Commit()
}
