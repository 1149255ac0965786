package profiler

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var reportHTML string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"dur": FormatDuration,
	"ms":  func(d time.Duration) string { return fmtMs(float64(d) / 1e6) },
	"num": func(v uint64) string { return groupDigits(strconv.FormatUint(v, 10)) },
	"rate": func(v float64) string {
		return strconv.FormatFloat(v, 'f', 1, 64) + "/s"
	},
	"pct": func(v float64) string { return strconv.FormatFloat(100*v, 'f', 2, 64) + " %" },
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"inc": func(i int) int { return i + 1 },
	"add": func(a, b float64) float64 { return a + b },
	"sub": func(a, b float64) float64 { return a - b },
}).Parse(reportHTML))

// WriteHTML writes r as one self-contained HTML page: the verdict, the
// figures, the thresholds, a capacity search's steps, and charts of the
// per-second series drawn as inline SVG. The page loads nothing (no
// scripts, styles, fonts or images from elsewhere), so it opens from disk
// offline. It is rendered whole before anything is written.
func WriteHTML(w io.Writer, r Report) error {
	var b bytes.Buffer
	if err := reportTmpl.Execute(&b, newHTMLReport(r)); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// htmlReport is what the template shows.
type htmlReport struct {
	R        Report
	Title    string
	Mode     string
	Cache    string
	Verdict  string
	Pass     bool
	HasVerd  bool
	Charts   []svgChart
	Meta     [][2]string
	Kinds    [][2]string
	BestStep int
}

func newHTMLReport(r Report) htmlReport {
	h := htmlReport{R: r, Title: r.Config.Name, BestStep: -1}
	if h.Title == "" {
		h.Title = "run " + r.ID
	}
	switch r.Mode {
	case ModeCapacity:
		h.Mode = "capacity search"
		if r.Capacity != nil {
			h.Mode += " (SLO " + strings.Join(r.Capacity.SLO, ", ") + ")"
			h.BestStep = r.Capacity.BestStep
		}
	case "closed":
		h.Mode = fmt.Sprintf("closed loop, %d users", r.Config.Users)
	default:
		h.Mode = fmt.Sprintf("open loop, %g req/s", r.Config.Rate)
		if r.Config.Arrivals == ArrivalsPoisson {
			h.Mode += ", Poisson arrivals"
		}
	}
	h.Cache = CacheSentence(r)
	switch {
	case r.Status != StatusCompleted:
		h.Verdict, h.HasVerd = "INCOMPLETE ("+r.Status+")", true
	case r.Capacity != nil:
		h.Verdict, h.Pass, h.HasVerd = r.Capacity.Message, r.Passed, true
	case len(r.Thresholds) > 0:
		h.Verdict, h.Pass, h.HasVerd = "FAILED", r.Passed, true
		if r.Passed {
			h.Verdict = "PASSED"
		}
	}
	for _, k := range sortedKeys(r.Meta) {
		if r.Meta[k] != "" {
			h.Meta = append(h.Meta, [2]string{k, r.Meta[k]})
		}
	}
	for _, k := range sortedKeys(r.ErrorsByKind) {
		h.Kinds = append(h.Kinds, [2]string{fmt.Sprintf("%s × %d", k, r.ErrorsByKind[k]), r.ErrorSamples[k]})
	}
	h.Charts = reportCharts(r)
	return h
}

// CacheSentence says how a run treated the result caches and how many of
// its results were cache hits.
func CacheSentence(r Report) string {
	var mode string
	switch r.Config.Cache {
	case CacheBypass:
		mode = "caches bypassed"
	case CacheInclude:
		mode = "caches included"
	default:
		mode = "cache mode not recorded"
	}
	if r.CacheResults == 0 {
		return fmt.Sprintf("%s · %d cache hits", mode, r.CacheHits)
	}
	return fmt.Sprintf("%s · %d cache hits of %d results (%.1f %%)", mode, r.CacheHits, r.CacheResults, 100*float64(r.CacheHits)/float64(r.CacheResults))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func groupDigits(s string) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func fmtMs(v float64) string {
	switch {
	case v >= 1000:
		return strconv.FormatFloat(v/1000, 'f', 2, 64) + " s"
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + " ms"
}

// reportCharts returns the charts of r: latency and requests per second,
// and a capacity search's latency by offered rate.
func reportCharts(r Report) []svgChart {
	var charts []svgChart
	if len(r.Series) > 0 {
		xs := make([]float64, len(r.Series))
		p50, p95, p99 := make([]float64, len(xs)), make([]float64, len(xs)), make([]float64, len(xs))
		sent, done, errs := make([]float64, len(xs)), make([]float64, len(xs)), make([]float64, len(xs))
		for i, s := range r.Series {
			xs[i] = float64(s.Second)
			p50[i], p95[i], p99[i] = math.NaN(), math.NaN(), math.NaN() // a gap: nothing completed
			if s.Completed > 0 {
				p50[i], p95[i], p99[i] = float64(s.P50)/1e6, float64(s.P95)/1e6, float64(s.P99)/1e6
			}
			sent[i], done[i], errs[i] = float64(s.Sent), float64(s.Completed), float64(s.Errors)
		}
		charts = append(charts,
			newSVGChart("Latency per second (from the intended send time)", "second of the run (s)", "latency (ms)", false, xs, []svgLine{
				{Label: "p50", Color: "#4e79a7", Y: p50, Run: "p50 per second · run p50 " + fmtMs(float64(r.Latency.P50)/1e6)},
				{Label: "p95", Color: "#f28e2b", Y: p95, Run: "p95 per second · run p95 " + fmtMs(float64(r.Latency.P95)/1e6)},
				{Label: "p99", Color: "#e15759", Y: p99, Run: "p99 per second · run p99 " + fmtMs(float64(r.Latency.P99)/1e6)},
			}),
			newSVGChart("Requests per second", "second of the run (s)", "requests (req/s)", true, xs, []svgLine{
				{Label: "sent", Color: "#4e79a7", Y: sent, Run: fmt.Sprintf("sent · run %.1f req/s", r.AchievedRate)},
				{Label: "completed", Color: "#59a14f", Y: done, Run: fmt.Sprintf("completed · run %s", groupDigits(strconv.FormatUint(r.Completed, 10)))},
				{Label: "errors", Color: "#e15759", Y: errs, Run: fmt.Sprintf("errors · run %s", groupDigits(strconv.FormatUint(r.Errors, 10)))},
			}),
		)
	}
	if c := r.Capacity; c != nil && len(c.Steps) > 0 {
		steps := append([]CapacityStep(nil), c.Steps...)
		sort.SliceStable(steps, func(i, j int) bool { return steps[i].Rate < steps[j].Rate })
		xs := make([]float64, len(steps))
		p50, p95, p99 := make([]float64, len(xs)), make([]float64, len(xs)), make([]float64, len(xs))
		for i, s := range steps {
			xs[i] = s.Rate
			p50[i], p95[i], p99[i] = float64(s.P50)/1e6, float64(s.P95)/1e6, float64(s.P99)/1e6
		}
		charts = append(charts, newSVGChart("Latency by offered rate (one point per step)", "offered rate (req/s)", "latency (ms)", false, xs, []svgLine{
			{Label: "p50", Color: "#4e79a7", Y: p50},
			{Label: "p95", Color: "#f28e2b", Y: p95},
			{Label: "p99", Color: "#e15759", Y: p99},
		}))
	}
	return charts
}

// svgLine is one series of a chart; NaN values are gaps.
type svgLine struct {
	Label, Color string
	Y            []float64
	Run          string // the legend with the run's figure ("p95 per second · run p95 …"); "" = Label
	Path         string // computed SVG path
}

type svgTick struct {
	Pos   float64
	Label string
}

// svgChart is a line chart laid out for the template.
type svgChart struct {
	Title, XLabel, YLabel  string
	W, H, Left, Top        float64
	PlotW, PlotH           float64
	Lines                  []svgLine
	XTicks, YTicks         []svgTick
	Bottom, Right, XMiddle float64
	YMiddle                float64
}

// newSVGChart lays out a chart of ys over xs: axes from 0 to a round
// maximum, ticks at round steps (whole numbers when integer).
func newSVGChart(title, xLabel, yLabel string, integer bool, xs []float64, lines []svgLine) svgChart {
	c := svgChart{Title: title, XLabel: xLabel, YLabel: yLabel, W: 560, H: 240, Left: 58, Top: 12}
	c.PlotW, c.PlotH = c.W-c.Left-16, c.H-c.Top-44
	c.Right, c.Bottom = c.Left+c.PlotW, c.Top+c.PlotH
	c.XMiddle, c.YMiddle = c.Left+c.PlotW/2, c.Top+c.PlotH/2
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
	}
	if xmin > 0 && xmin < xmax/2 {
		xmin = 0
	}
	if !(xmax > xmin) {
		xmin, xmax = xmin-1, xmin+1
	}
	ymax := 0.0
	for _, l := range lines {
		for _, y := range l.Y {
			if !math.IsNaN(y) {
				ymax = math.Max(ymax, y)
			}
		}
	}
	ystep := niceStep(ymax/4, integer)
	ytop := math.Max(ystep, math.Ceil(ymax/ystep)*ystep)
	// Tick loops are bounded: with extreme values a step can be below the
	// floats' resolution.
	for i, v := 0, 0.0; v <= ytop+ystep/2 && i < 50; i, v = i+1, v+ystep {
		c.YTicks = append(c.YTicks, svgTick{Pos: c.Bottom - v/ytop*c.PlotH, Label: tickLabel(v)})
	}
	xstep := niceStep((xmax-xmin)/6, true)
	for i, v := 0, math.Ceil(xmin/xstep)*xstep; v <= xmax+xstep/1e6 && i < 50; i, v = i+1, v+xstep {
		c.XTicks = append(c.XTicks, svgTick{Pos: c.Left + (v-xmin)/(xmax-xmin)*c.PlotW, Label: tickLabel(v)})
	}
	for _, l := range lines {
		var b strings.Builder
		pen := false
		for i, y := range l.Y {
			if math.IsNaN(y) {
				pen = false
				continue
			}
			px := c.Left + (xs[i]-xmin)/(xmax-xmin)*c.PlotW
			py := c.Bottom - y/ytop*c.PlotH
			if pen {
				fmt.Fprintf(&b, "L%.1f %.1f ", px, py)
			} else {
				// A lone point draws as a short dash, so it is seen.
				fmt.Fprintf(&b, "M%.1f %.1f h0.1 ", px, py)
				pen = true
			}
		}
		l.Path = strings.TrimSpace(b.String())
		c.Lines = append(c.Lines, l)
	}
	return c
}

// niceStep rounds raw up to 1, 2 or 5 × 10^k (at least 1 when integer).
func niceStep(raw float64, integer bool) float64 {
	if !(raw > 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * p
	for _, m := range []float64{1, 2, 5} {
		if m*p >= raw {
			step = m * p
			break
		}
	}
	if integer && step < 1 {
		step = 1
	}
	return step
}

func tickLabel(v float64) string {
	if math.Abs(v-math.Round(v)) < 1e-9 {
		return groupDigits(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
