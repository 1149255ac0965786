package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nlpscope/nlpscope/engine"
	"github.com/nlpscope/nlpscope/storage"
)

// Correction returns the correction of stored document id; ErrNotFound
// when the document does not exist or has no correction.
func (s *Service) Correction(ctx context.Context, id int64) (Correction, error) {
	if s.db == nil {
		return Correction{}, ErrNoStorage
	}
	c, ok, err := s.db.GetCorrection(ctx, storage.DocID(id))
	if err != nil {
		return Correction{}, err
	}
	if !ok {
		return Correction{}, fmt.Errorf("%w: document %d has no correction", ErrNotFound, id)
	}
	return *correctionOf(c), nil
}

// SetCorrection stores c as the correction of stored document id,
// replacing an earlier one, and returns it as stored. Labels must be the
// model's labels (those of the document's predictions and of the active
// model; any non-empty label when neither has any), matched regardless of
// case and stored in the model's spelling. Entity spans must lie inside the
// text and must not overlap; their text is taken from the span. A bad
// correction is an ErrBadRequest that says what is wrong and changes
// nothing.
func (s *Service) SetCorrection(ctx context.Context, id int64, c Correction) (Correction, error) {
	if s.db == nil {
		return Correction{}, ErrNoStorage
	}
	d, err := s.db.Get(ctx, storage.DocID(id))
	if err != nil {
		return Correction{}, fmt.Errorf("document %d: %w", id, err)
	}
	sentLabels, entLabels := s.correctionLabels(d)
	in := storage.Correction{Reviewed: c.Reviewed}
	if c.Sentiment != nil {
		l, err := pickLabel("sentiment", *c.Sentiment, sentLabels)
		if err != nil {
			return Correction{}, err
		}
		in.Sentiment = l
	}
	if c.Entities != nil {
		in.HasEntities = true
		in.Entities = make([]storage.Entity, len(*c.Entities))
		for i, e := range *c.Entities {
			l, err := pickLabel(fmt.Sprintf("entity %d", i), e.Label, entLabels)
			if err != nil {
				return Correction{}, err
			}
			in.Entities[i] = storage.Entity{Label: l, Start: e.Start, End: e.End}
		}
	}
	out, err := s.db.SetCorrection(ctx, storage.DocID(id), in)
	if err != nil {
		return Correction{}, storageError(err)
	}
	return *correctionOf(out), nil
}

// ClearCorrection deletes the correction of stored document id (its
// predictions stay); ErrNotFound when it has none.
func (s *Service) ClearCorrection(ctx context.Context, id int64) error {
	if s.db == nil {
		return ErrNoStorage
	}
	if err := s.db.ClearCorrection(ctx, storage.DocID(id)); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("%w: document %d has no correction", ErrNotFound, id)
		}
		return err
	}
	return nil
}

// correctionLabels are the labels a correction of d may use: the sentiment
// labels of its newest sentiment prediction and of the active sentiment
// model, and the entity types of its predicted entities and of the active
// entities model (B-/I- tags without the prefix, O left out).
func (s *Service) correctionLabels(d storage.Document) (sentiment, entities []string) {
	add := func(list *[]string, l string) {
		if l != "" && !slices.Contains(*list, l) {
			*list = append(*list, l)
		}
	}
	for _, a := range d.Analyses {
		switch a.Task {
		case storage.TaskSentiment:
			add(&sentiment, a.Label)
			for _, sc := range a.Scores {
				add(&sentiment, sc.Label)
			}
		case storage.TaskEntities:
			for _, e := range a.Entities {
				add(&entities, e.Label)
			}
		}
	}
	if m, ok := s.activeModel(engine.TaskSentiment); ok {
		for _, l := range m.Labels {
			add(&sentiment, l)
		}
	}
	if m, ok := s.activeModel(engine.TaskEntities); ok {
		for _, l := range m.Labels {
			add(&entities, EntityType(l))
		}
	}
	return sentiment, entities
}

// EntityType is the entity type of a token-classification tag: "B-PER"
// and "I-PER" are "PER"; "O" (outside) is "".
func EntityType(tag string) string {
	if tag == "O" {
		return ""
	}
	if strings.HasPrefix(tag, "B-") || strings.HasPrefix(tag, "I-") {
		return tag[2:]
	}
	return tag
}

// pickLabel returns the label of allowed that l names (case-insensitive),
// or l itself when allowed is empty and l is not blank.
func pickLabel(what, l string, allowed []string) (string, error) {
	if strings.TrimSpace(l) == "" {
		return "", fmt.Errorf("%w: %s label is empty", ErrBadRequest, what)
	}
	if len(allowed) == 0 {
		return l, nil
	}
	for _, a := range allowed {
		if strings.EqualFold(a, strings.TrimSpace(l)) {
			return a, nil
		}
	}
	return "", fmt.Errorf("%w: %s label %q is not one of the model's labels (%s)", ErrBadRequest, what, l, strings.Join(allowed, ", "))
}

func correctionOf(c storage.Correction) *Correction {
	out := &Correction{Reviewed: c.Reviewed, SentimentModel: c.SentimentModel, EntitiesModel: c.EntitiesModel,
		CreatedAt: c.Created, UpdatedAt: c.Updated}
	if c.Sentiment != "" {
		l := c.Sentiment
		out.Sentiment = &l
	}
	if c.HasEntities {
		es := make([]CorrectionEntity, len(c.Entities))
		for i, e := range c.Entities {
			es[i] = CorrectionEntity{Label: e.Label, Start: e.Start, End: e.End, Text: e.Text}
		}
		out.Entities = &es
	}
	return out
}
