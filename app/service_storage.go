package app

import (
	"context"
	"io"

	"github.com/nlpscope/nlpscope/engine"
)

// TEMPORARY until package storage lands (issue 3): the Service runs without a
// database. The method set below is the one the shells use.

func (s *Service) hasStorage() bool                  { return false }
func (s *Service) openStorage(ctx context.Context) error { return nil }
func (s *Service) closeStorage() error               { return nil }

// lookupStored fills out from stored analyses and reports which (text, task)
// pairs it filled.
func (s *Service) lookupStored(ctx context.Context, r request, out []DocumentResult) (func(i int, t engine.Task) bool, error) {
	return func(int, engine.Task) bool { return false }, nil
}

// store commits out and sets their IDs; it returns after the commit.
func (s *Service) store(ctx context.Context, r request, out []DocumentResult) error { return nil }

// Search returns one page of stored documents, newest first.
func (s *Service) Search(ctx context.Context, q SearchQuery) (SearchPage, error) {
	return SearchPage{}, ErrNoStorage
}

// GetDocument returns one stored document with its analyses.
func (s *Service) GetDocument(ctx context.Context, id int64) (DocumentResult, error) {
	return DocumentResult{}, ErrNoStorage
}

// Export writes the documents q selects (all pages) as "csv" or "jsonl".
func (s *Service) Export(ctx context.Context, w io.Writer, format string, q SearchQuery) error {
	return ErrNoStorage
}

func isStorageNotFound(err error) bool { return false }
