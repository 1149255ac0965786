package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/nlpscope/nlpscope/profiler"
)

// ReportFormat is a download format of a load-test report.
type ReportFormat string

// Report formats.
const (
	// ReportJSON is the stored report, as GET /v1/loadtests/{id} and
	// `nlpscope loadtest --json` give it (loadtest compare reads it back).
	ReportJSON ReportFormat = "json"
	// ReportCSV is one table: a row per second (a capacity search: per
	// step) and a total row (profiler.WriteCSV).
	ReportCSV ReportFormat = "csv"
	// ReportHTML is a self-contained page with the figures and charts
	// (profiler.WriteHTML): it loads nothing and opens offline.
	ReportHTML ReportFormat = "html"
)

// Values lists every report format.
func (ReportFormat) Values() []ReportFormat { return []ReportFormat{ReportJSON, ReportCSV, ReportHTML} }

// ParseReportFormat validates a report format ("" is json).
func ParseReportFormat(s string) (ReportFormat, error) {
	switch f := ReportFormat(strings.ToLower(strings.TrimSpace(s))); f {
	case "":
		return ReportJSON, nil
	case ReportJSON, ReportCSV, ReportHTML:
		return f, nil
	}
	return "", fmt.Errorf("%w: report format %q (want json, csv or html)", ErrBadRequest, s)
}

// ContentType is the MIME type of a report in format f.
func (f ReportFormat) ContentType() string {
	switch f {
	case ReportCSV:
		return "text/csv; charset=utf-8"
	case ReportHTML:
		return "text/html; charset=utf-8"
	}
	return "application/json"
}

// ReportFileName is the file name a report of run id is saved under:
// nlpscope-loadtest-ID.FORMAT (characters unsafe in a file name become "-").
func ReportFileName(id string, f ReportFormat) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '-'
	}, id)
	return "nlpscope-loadtest-" + strings.Trim(safe, ".") + "." + string(f)
}

// WriteReport writes r in format f. It renders the whole report before
// writing, so an error writes nothing.
func WriteReport(w io.Writer, r profiler.Report, f ReportFormat) error {
	var b bytes.Buffer
	var err error
	switch f {
	case ReportJSON:
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	case ReportCSV:
		err = profiler.WriteCSV(&b, r)
	case ReportHTML:
		err = profiler.WriteHTML(&b, r)
	default:
		_, err = ParseReportFormat(string(f))
	}
	if err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// ExportLoadTest writes the saved run id as format "json", "csv" or "html"
// (see ReportFormat). An unknown format or run writes nothing.
func (s *Service) ExportLoadTest(ctx context.Context, w io.Writer, id, format string) error {
	f, err := ParseReportFormat(format)
	if err != nil {
		return err
	}
	r, err := s.LoadTest(ctx, id)
	if err != nil {
		return err
	}
	return WriteReport(w, r, f)
}
