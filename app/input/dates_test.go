package input

import (
	"testing"
	"time"
)

func TestDateParser(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	f := func(samples []string, wantName string, in string, want time.Time, wantOK bool) {
		t.Helper()
		p := newDateParser(samples)
		if p.Name() != wantName {
			t.Errorf("%q: layout %q, want %q", samples, p.Name(), wantName)
		}
		got, ok := p.Parse(in)
		if ok != wantOK || !got.Equal(want) {
			t.Errorf("%q in %q: %v %v, want %v %v", in, samples, got, ok, want, wantOK)
		}
	}
	f([]string{"2026-03-04", "2026-12-31"}, "YYYY-MM-DD", "2026-03-04", day(2026, 3, 4), true)
	f([]string{"2026-03-04T10:11:12Z"}, "ISO 8601 with zone", "2026-03-04T10:11:12+02:00", time.Date(2026, 3, 4, 8, 11, 12, 0, time.UTC), true)
	f([]string{"2026-03-04 10:11:12"}, "YYYY-MM-DD hh:mm:ss", "2026-03-04 10:11:12", time.Date(2026, 3, 4, 10, 11, 12, 0, time.UTC), true)
	// Slashes: a day over 12 decides the order for the whole column.
	f([]string{"03/04/2026", "25/12/2026"}, "DD/MM/YYYY", "03/04/2026", day(2026, 4, 3), true)
	f([]string{"03/04/2026", "12/25/2026"}, "MM/DD/YYYY", "03/04/2026", day(2026, 3, 4), true)
	f([]string{"3/4/2026"}, "DD/MM/YYYY", "3/4/2026", day(2026, 4, 3), true) // undecided: day first
	f([]string{"04.03.2026"}, "DD.MM.YYYY", "4.3.2026", day(2026, 3, 4), true)
	f([]string{"4 Mar 2026"}, "D Mon YYYY", "4 Mar 2026", day(2026, 3, 4), true)
	f([]string{"March 4, 2026"}, "Month D, YYYY", "March 4, 2026", day(2026, 3, 4), true)
	// A value in another known layout still reads; garbage does not; empty is no date.
	f([]string{"2026-03-04"}, "YYYY-MM-DD", "4 Mar 2026", day(2026, 3, 4), true)
	f([]string{"2026-03-04"}, "YYYY-MM-DD", "yesterday", time.Time{}, false)
	f([]string{"2026-03-04"}, "YYYY-MM-DD", "2026-13-45", time.Time{}, false)
	f([]string{"2026-03-04"}, "YYYY-MM-DD", "  ", time.Time{}, true)
	f([]string{"soon", ""}, "", "2026-03-04", day(2026, 3, 4), true)
}

func FuzzDateParser(f *testing.F) {
	for _, s := range []string{"2026-03-04", "03/04/2026", "4 Mar 2026", "2026-03-04T10:11:12Z", "", "x", "99/99/9999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		p := newDateParser([]string{v})
		got, ok := p.Parse(v)
		if !ok && !got.IsZero() {
			t.Fatalf("%q: not a date but time %v", v, got)
		}
		if ok && !got.IsZero() && got.Location() != time.UTC {
			t.Fatalf("%q: %v is not UTC", v, got)
		}
	})
}
