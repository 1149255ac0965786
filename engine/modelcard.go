package engine

import (
	"encoding/json"
	"sort"
	"strings"
)

// ModelCard is what a model folder says about the model, for the user to
// see what it is for: from MODEL_CARD.md or README.md (a Hugging Face model
// card: YAML front matter, then Markdown) and metrics.json.
type ModelCard struct {
	Summary     string   `json:"summary"`     // the first paragraph
	Languages   []string `json:"languages"`   // front matter "language"
	Limitations []string `json:"limitations"` // the first items of a limitations / weak spots section
	Metrics     []Metric `json:"metrics"`     // metrics.json's top-level numbers
	File        string   `json:"file"`        // the card's file name
}

// Metric is one measured figure of a model card.
type Metric struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// cardFiles are the card names tried in order.
var cardFiles = []string{"MODEL_CARD.md", "README.md"}

const (
	maxCardItems   = 6
	maxCardMetrics = 24
	maxCardText    = 400 // characters of one summary or item
)

// parseCard reads a model card; nil when there is none.
func parseCard(file string, md, metrics []byte) *ModelCard {
	if file == "" && len(metrics) == 0 {
		return nil
	}
	c := &ModelCard{File: file, Languages: []string{}, Limitations: []string{}, Metrics: []Metric{}}
	text := strings.ReplaceAll(string(md), "\r\n", "\n")
	if strings.HasPrefix(text, "---\n") {
		if end := strings.Index(text[4:], "\n---"); end >= 0 {
			c.Languages = frontMatterList(text[4:4+end], "language")
			text = text[4+end+4:]
		}
	}
	var para []string
	section, inLimits, more := "", false, false
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "#") {
			section = strings.ToLower(strings.TrimLeft(t, "# "))
			inLimits = strings.Contains(section, "limitation") || strings.Contains(section, "weak") || strings.Contains(section, "bias")
			if c.Summary == "" && len(para) > 0 {
				c.Summary = clip(strings.Join(para, " "))
			}
			para = nil
			continue
		}
		if c.Summary == "" && !strings.HasPrefix(t, "<") && !strings.HasPrefix(t, "|") && !strings.HasPrefix(t, "!") {
			if t == "" {
				if len(para) > 0 {
					c.Summary = clip(strings.Join(para, " "))
				}
			} else {
				para = append(para, t)
			}
		}
		switch {
		case !inLimits:
		case strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* "):
			more = len(c.Limitations) < maxCardItems
			if more {
				c.Limitations = append(c.Limitations, clip(t[2:]))
			}
		case more && t != "" && strings.HasPrefix(line, " "): // a bullet's next line
			n := len(c.Limitations) - 1
			c.Limitations[n] = clip(c.Limitations[n] + " " + t)
		default:
			more = false
		}
	}
	if c.Summary == "" && len(para) > 0 {
		c.Summary = clip(strings.Join(para, " "))
	}
	var m map[string]any
	if json.Unmarshal(metrics, &m) == nil {
		c.Metrics = qualityFigures("", m, 0, c.Metrics)
		sort.Slice(c.Metrics, func(i, j int) bool { return c.Metrics[i].Name < c.Metrics[j].Name })
		if len(c.Metrics) > maxCardMetrics {
			c.Metrics = c.Metrics[:maxCardMetrics]
		}
	}
	return c
}

// qualityFigures collects the quality figures of metrics.json (accuracy,
// recall, precision, F1 at any depth up to 3, "micro.f1" style names for
// nested ones), not counts or training settings.
func qualityFigures(prefix string, m map[string]any, depth int, out []Metric) []Metric {
	for k, v := range m {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		switch v := v.(type) {
		case float64:
			l := strings.ToLower(k)
			if l == "f1" || strings.Contains(l, "accuracy") || strings.Contains(l, "recall") || strings.Contains(l, "precision") || strings.HasSuffix(l, "_f1") {
				out = append(out, Metric{Name: name, Value: v})
			}
		case map[string]any:
			if depth < 2 && !strings.Contains(strings.ToLower(k), "uncalibrated") {
				out = qualityFigures(name, v, depth+1, out)
			}
		}
	}
	return out
}

// frontMatterList reads "key: x", "key: [x, y]" or a "- x" list under key.
func frontMatterList(fm, key string) []string {
	out := []string{}
	lines := strings.Split(fm, "\n")
	for i, l := range lines {
		v, ok := strings.CutPrefix(l, key+":")
		if !ok {
			continue
		}
		v = strings.Trim(strings.TrimSpace(v), "[]")
		if v != "" {
			for _, p := range strings.Split(v, ",") {
				if p = strings.Trim(strings.TrimSpace(p), `"'`); p != "" {
					out = append(out, p)
				}
			}
			return out
		}
		for _, n := range lines[i+1:] {
			item, ok := strings.CutPrefix(strings.TrimSpace(n), "- ")
			if !ok {
				break
			}
			out = append(out, strings.Trim(strings.TrimSpace(item), `"'`))
		}
		return out
	}
	return out
}

// clip keeps a card's text short and drops Markdown emphasis and code marks.
func clip(s string) string {
	s = strings.NewReplacer("**", "", "`", "", "__", "").Replace(s)
	if r := []rune(s); len(r) > maxCardText {
		s = string(r[:maxCardText-1]) + "…"
	}
	return s
}
