package engine

import (
	"strings"
	"testing"
)

func TestParseCard(t *testing.T) {
	md := "---\nlanguage:\n- en\n- de\nlicense: mit\n---\n# My model\n\n<img src=x>\nA **sentiment** model for `tweets`\nand reviews.\n\n## Limitations and bias\n- English and\n  German only.\n- Sarcasm is hard.\nNot a bullet.\n- after the list\n\n## Metrics\n- not a limitation\n"
	c := parseCard("README.md", []byte(md), []byte(`{"macro_recall": 0.66, "epochs": 6, "selected_epoch": [1], "nested": {"a": 1, "micro": {"f1": 0.7, "support": 9}}}`))
	if c.Summary != "A sentiment model for tweets and reviews." {
		t.Errorf("summary %q", c.Summary)
	}
	if strings.Join(c.Languages, ",") != "en,de" {
		t.Errorf("languages %q", c.Languages)
	}
	if strings.Join(c.Limitations, "|") != "English and German only.|Sarcasm is hard.|after the list" {
		t.Errorf("limitations %q", c.Limitations)
	}
	if len(c.Metrics) != 2 || c.Metrics[0] != (Metric{"macro_recall", 0.66}) || c.Metrics[1] != (Metric{"nested.micro.f1", 0.7}) {
		t.Errorf("metrics %+v", c.Metrics)
	}
	if c := parseCard("", nil, nil); c != nil {
		t.Errorf("no card: %+v", c)
	}
	if c := parseCard("README.md", []byte("---\nlanguage: [en, fr]\n---\nOnly text"), nil); c.Summary != "Only text" || strings.Join(c.Languages, ",") != "en,fr" {
		t.Errorf("inline list: %+v", c)
	}
}

func FuzzParseCard(f *testing.F) {
	f.Add("---\nlanguage: en\n---\n# x\n\ntext\n## Limitations\n- a\n  b\n", `{"x":1}`)
	f.Add("---\n", "")
	f.Fuzz(func(t *testing.T, md, metrics string) {
		c := parseCard("README.md", []byte(md), []byte(metrics))
		if c == nil || c.Languages == nil || c.Limitations == nil || c.Metrics == nil || len(c.Limitations) > maxCardItems {
			t.Fatalf("card %+v", c)
		}
		if len([]rune(c.Summary)) > maxCardText {
			t.Fatalf("summary of %d characters", len([]rune(c.Summary)))
		}
	})
}
