package input

import (
	"strings"
	"time"
)

// dateLayout is one date/time format a date column may use: its Go layout
// and the name shown in a mapping.
type dateLayout struct {
	layout string
	name   string
}

// dateLayouts are the formats of date columns, tried in this order.
// Slashed dates are ambiguous: both orders are candidates and the column's
// values decide (a value with a first part over 12 is day first); when no
// value decides, day first wins (it comes first), as a date without a time
// wins over one with it. Times without a zone are UTC.
var dateLayouts = []dateLayout{
	{"2006-01-02", "YYYY-MM-DD"},
	{time.RFC3339Nano, "ISO 8601 with zone"},
	{"2006-01-02T15:04:05", "YYYY-MM-DDThh:mm:ss"},
	{"2006-01-02 15:04:05", "YYYY-MM-DD hh:mm:ss"},
	{"2006-01-02 15:04", "YYYY-MM-DD hh:mm"},
	{"2006/01/02", "YYYY/MM/DD"},
	{"2006/01/02 15:04:05", "YYYY/MM/DD hh:mm:ss"},
	{"2/1/2006", "DD/MM/YYYY"},
	{"2/1/2006 15:04", "DD/MM/YYYY hh:mm"},
	{"2/1/2006 15:04:05", "DD/MM/YYYY hh:mm:ss"},
	{"1/2/2006", "MM/DD/YYYY"},
	{"1/2/2006 15:04", "MM/DD/YYYY hh:mm"},
	{"1/2/2006 15:04:05", "MM/DD/YYYY hh:mm:ss"},
	{"1/2/2006 3:04 PM", "MM/DD/YYYY hh:mm AM/PM"},
	{"2.1.2006", "DD.MM.YYYY"},
	{"2.1.2006 15:04", "DD.MM.YYYY hh:mm"},
	{"2.1.2006 15:04:05", "DD.MM.YYYY hh:mm:ss"},
	{"2 Jan 2006", "D Mon YYYY"},
	{"2 Jan 2006 15:04", "D Mon YYYY hh:mm"},
	{"2 January 2006", "D Month YYYY"},
	{"Jan 2, 2006", "Mon D, YYYY"},
	{"Jan 2, 2006 15:04", "Mon D, YYYY hh:mm"},
	{"January 2, 2006", "Month D, YYYY"},
	{time.RFC1123Z, "RFC 1123"},
	{time.RFC1123, "RFC 1123"},
}

// maxDateChars bounds a value worth trying as a date.
const maxDateChars = 64

// dateParser reads the values of one date column: the layout most of the
// column's first values have is tried first, then the others.
type dateParser struct {
	first int // index into dateLayouts; -1 when no sample value parsed
}

// newDateParser picks the layout that reads most of samples (empty values
// are skipped).
func newDateParser(samples []string) *dateParser {
	counts := make([]int, len(dateLayouts))
	for _, v := range samples {
		v = strings.TrimSpace(v)
		if v == "" || len(v) > maxDateChars {
			continue
		}
		for i, l := range dateLayouts {
			if _, err := time.Parse(l.layout, v); err == nil {
				counts[i]++
			}
		}
	}
	p := &dateParser{first: -1}
	best := 0
	for i, n := range counts {
		if n > best {
			p.first, best = i, n
		}
	}
	return p
}

// Name is the name of the column's layout ("" when none was found).
func (p *dateParser) Name() string {
	if p.first < 0 {
		return ""
	}
	return dateLayouts[p.first].name
}

// Parse reads one value; ok is false when it is not a date in any known
// layout. An empty value is no date and not an error: ok is true with the
// zero time.
func (p *dateParser) Parse(v string) (t time.Time, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, true
	}
	if len(v) > maxDateChars {
		return time.Time{}, false
	}
	if p.first >= 0 {
		if t, err := time.Parse(dateLayouts[p.first].layout, v); err == nil {
			return t.UTC(), true
		}
	}
	for i, l := range dateLayouts {
		if i == p.first {
			continue
		}
		if t, err := time.Parse(l.layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
