package storage

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Search syntax of Query.Text (the History view shows it under the box):
//
//	tesla sony       both words (AND); case and accents are ignored
//	tesla OR sony    either word (OR binds weaker than AND)
//	-recall          documents without the word (also NOT recall)
//	"model y"        the words in this order
//	tes*             words that start with "tes" (at least 3 letters)
//	(tesla OR sony) -recall
//
// OR, AND and NOT are operators only in capitals. Other punctuation
// separates words, as in the word index. A term that contains emoji or
// other pictographic symbols, or CJK, Thai, Lao, Khmer, Myanmar or Hangul
// text, matches as a substring: 東京 finds 東京タワー. So does a quoted
// phrase without letters or digits (":)"). The user's text is never handed
// to FTS5 as it is: terms become quoted FTS5 strings and SQL parameters.
//
// Substrings of 3 or more characters are found in the trigram index.
// Shorter ones (😍, 東京) are compared with LIKE, newest document first,
// over only the documents of the trigram index (those with such runes)
// unless another term's index narrows them further: a page stops at its
// 50th hit, the count at Query.TotalLimit. A quoted phrase of punctuation
// only is compared over every document.

// QueryError is a search text that is not a valid query. It matches
// ErrInvalid with errors.Is; its message is meant for the user.
type QueryError struct {
	Msg string
}

func (e *QueryError) Error() string { return "search: " + e.Msg }

// Is makes a QueryError an ErrInvalid.
func (e *QueryError) Is(target error) bool { return target == ErrInvalid }

func queryErr(format string, args ...any) error {
	return &QueryError{Msg: fmt.Sprintf(format, args...)}
}

// Bounds of a query, so that one search cannot build an expression that
// takes the database long to plan or that nests without end.
const (
	maxQueryTerms = 64
	maxQueryDepth = 16
)

// termKind says which index finds a term.
type termKind uint8

const (
	// kindWord: the word index (documents_fts, unicode61 tokens).
	kindWord termKind = iota
	// kindSubstr: the trigram index (documents_tri), by substring; the term
	// has at least 3 code points and a substring rune.
	kindSubstr
	// kindScan: a substring that the trigram index cannot find (under 3
	// code points, or without a substring rune): LIKE over the documents.
	kindScan
)

// minTrigramRunes is the shortest substring the trigram index finds.
const minTrigramRunes = 3

// qnode is a parsed query: a term, or an AND / OR of nodes. neg marks a
// child of an AND that must not match.
type qnode struct {
	op     byte // 't' term, '&' and, '|' or
	text   string
	prefix bool
	kind   termKind
	neg    bool
	kids   []*qnode
}

// substrRanges are the runes that make a term match by substring (and a
// document enter the trigram index): scripts written without spaces
// between words, and pictographic symbols and emoji, which the word index
// drops. migrations/*_trigram.sql holds the same ranges as the GLOB
// class trigramGlob (a test compares them).
var substrRanges = [][2]rune{
	{0x0E00, 0x0EFF},   // Thai, Lao
	{0x1000, 0x109F},   // Myanmar
	{0x1780, 0x17FF},   // Khmer
	{0x2190, 0x2BFF},   // arrows, technical, shapes, dingbats (❤ ✅ ⭐ ▶ ☀)
	{0x2E80, 0x9FFF},   // CJK radicals, punctuation, kana, Hangul jamo, CJK ideographs
	{0xA000, 0xA4CF},   // Yi
	{0xAC00, 0xD7AF},   // Hangul syllables
	{0xF900, 0xFAFF},   // CJK compatibility ideographs
	{0xFF66, 0xFF9F},   // half-width katakana
	{0x1F000, 0x1FBFF}, // emoji, pictographs, flags, skin tones
	{0x20000, 0x3FFFF}, // CJK extensions
}

// trigramGlob is the SQL GLOB pattern of a text that holds a substring rune
// (substrRanges as a character class).
var trigramGlob = func() string {
	var b strings.Builder
	b.WriteString("*[")
	for _, r := range substrRanges {
		b.WriteRune(r[0])
		b.WriteByte('-')
		b.WriteRune(r[1])
	}
	b.WriteString("]*")
	return b.String()
}()

// isSubstrRune reports whether r is in substrRanges.
func isSubstrRune(r rune) bool {
	if r < substrRanges[0][0] {
		return false
	}
	for _, g := range substrRanges {
		if r >= g[0] && r <= g[1] {
			return true
		}
	}
	return false
}

// mayHaveSubstrRune is a quick test that is true for every text holding a
// substring rune (and for many others): any rune at or above U+0E00.
func mayHaveSubstrRune(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0xE0 { // lead byte of a rune >= U+0800
			return true
		}
	}
	return false
}

// Tokens of the query lexer.
type qtok struct {
	kind   byte // 'w' word, 'p' phrase, '(' ')', '|' OR, '&' AND, '!' NOT or -
	text   string
	prefix bool
}

func isQuerySpace(r rune) bool { return unicode.IsSpace(r) || r == 0 }

// lexQuery splits text into tokens. Words without any letter, digit or
// substring rune are separators and dropped (with a - in front of them).
func lexQuery(text string) []qtok {
	s := strings.ToValidUTF8(text, " ")
	var out []qtok
	i := 0
	next := func() (rune, int) { return utf8.DecodeRuneInString(s[i:]) }
	for i < len(s) {
		r, n := next()
		switch {
		case isQuerySpace(r):
			i += n
		case r == '(' || r == ')':
			out = append(out, qtok{kind: byte(r)})
			i += n
		case r == '"':
			i += n
			end := strings.IndexByte(s[i:], '"')
			var body string
			if end < 0 { // unclosed: the phrase runs to the end
				body, i = s[i:], len(s)
			} else {
				body, i = s[i:i+end], i+end+1
			}
			prefix := false
			for i < len(s) && s[i] == '*' {
				prefix = true
				i++
			}
			body = strings.Map(func(r rune) rune {
				if isQuerySpace(r) {
					return ' '
				}
				return r
			}, body)
			if strings.TrimSpace(body) != "" {
				out = append(out, qtok{kind: 'p', text: body, prefix: prefix})
			}
		default:
			neg := false
			if r == '-' {
				j := i
				for j < len(s) && s[j] == '-' {
					j++
				}
				if j < len(s) && (s[j] == '"' || s[j] == '(') {
					out = append(out, qtok{kind: '!'})
					i = j
					continue
				}
				neg = true
				i = j
			}
			start := i
			for i < len(s) {
				r, n := next()
				if isQuerySpace(r) || r == '(' || r == ')' || r == '"' {
					break
				}
				i += n
			}
			w := s[start:i]
			switch {
			case !neg && w == "OR":
				out = append(out, qtok{kind: '|'})
				continue
			case !neg && w == "AND":
				out = append(out, qtok{kind: '&'})
				continue
			case !neg && w == "NOT":
				out = append(out, qtok{kind: '!'})
				continue
			}
			prefix := false
			if t := strings.TrimRight(w, "*"); t != w {
				prefix, w = true, t
			}
			if strings.IndexFunc(w, func(r rune) bool { return isTokenRune(r) || isSubstrRune(r) }) < 0 {
				continue // only punctuation: a separator, as in the index
			}
			if neg {
				out = append(out, qtok{kind: '!'})
			}
			out = append(out, qtok{kind: 'w', text: w, prefix: prefix})
		}
	}
	return out
}

type qparser struct {
	toks  []qtok
	pos   int
	terms int
}

func (p *qparser) peek() byte {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].kind
	}
	return 0
}

// parseQuery parses text. It returns nil (and no error) when text holds no
// term at all.
func parseQuery(text string) (*qnode, error) {
	p := &qparser{toks: lexQuery(text)}
	if len(p.toks) == 0 {
		return nil, nil
	}
	n, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) { // only ")" stops parseOr at depth 0
		return nil, queryErr(`unmatched ")": to search for it, put it in quotes`)
	}
	if n == nil {
		return nil, nil
	}
	if err := checkPositive(n); err != nil {
		return nil, err
	}
	return simplify(n), nil
}

func (p *qparser) parseOr(depth int) (*qnode, error) {
	if depth > maxQueryDepth {
		return nil, queryErr("parentheses nested more than %d deep", maxQueryDepth)
	}
	var kids []*qnode
	for {
		if p.peek() == '|' {
			return nil, queryErr(`"OR" needs a term on each side`)
		}
		n, err := p.parseAnd(depth)
		if err != nil {
			return nil, err
		}
		if n != nil {
			kids = append(kids, n)
		}
		if p.peek() != '|' {
			break
		}
		p.pos++
		if k := p.peek(); k == 0 || k == ')' || k == '|' {
			return nil, queryErr(`"OR" needs a term on each side`)
		}
	}
	switch len(kids) {
	case 0:
		return nil, nil
	case 1:
		return kids[0], nil
	}
	return &qnode{op: '|', kids: kids}, nil
}

func (p *qparser) parseAnd(depth int) (*qnode, error) {
	var kids []*qnode
	for {
		switch p.peek() {
		case 0, ')', '|':
			switch len(kids) {
			case 0:
				return nil, nil
			case 1:
				if !kids[0].neg {
					return kids[0], nil
				}
			}
			return &qnode{op: '&', kids: kids}, nil
		case '&':
			p.pos++
			continue
		}
		n, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		if n != nil {
			kids = append(kids, n)
		}
	}
}

func (p *qparser) parseUnary(depth int) (*qnode, error) {
	neg := false
	for p.peek() == '!' {
		neg = !neg
		p.pos++
	}
	switch p.peek() {
	case 0, ')', '|', '&':
		return nil, queryErr(`"NOT" or "-" needs a term right after it`)
	case '(':
		p.pos++
		if p.peek() == ')' {
			return nil, queryErr("empty parentheses")
		}
		n, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.peek() == ')' {
			p.pos++
		} // a missing ")" at the end closes the group
		if n == nil {
			return nil, nil
		}
		if neg {
			if n.neg { // -(-a): a group of one negated term
				n = &qnode{op: '&', kids: []*qnode{n}}
			}
			n.neg = true
		}
		return n, nil
	}
	t := p.toks[p.pos]
	p.pos++
	p.terms++
	if p.terms > maxQueryTerms {
		return nil, queryErr("too many terms (at most %d)", maxQueryTerms)
	}
	n, err := newTerm(t)
	if err != nil {
		return nil, err
	}
	n.neg = neg
	return n, nil
}

// newTerm classifies a word or phrase token.
func newTerm(t qtok) (*qnode, error) {
	n := &qnode{op: 't', text: t.text, prefix: t.prefix}
	hasSubstr := strings.IndexFunc(t.text, isSubstrRune) >= 0
	switch {
	case hasSubstr:
		// A substring is its own prefix.
		n.prefix = false
		n.text = strings.TrimSpace(n.text)
		if utf8.RuneCountInString(n.text) >= minTrigramRunes {
			n.kind = kindSubstr
		} else {
			// A lone emoji is often typed with a variation selector
			// (❤️ = ❤ + U+FE0F) that the text may lack.
			n.text = strings.ReplaceAll(n.text, "\uFE0F", "")
			n.kind = kindScan
		}
	case strings.IndexFunc(t.text, isTokenRune) < 0:
		// A quoted phrase of punctuation only (":)"): the word index has
		// no tokens for it.
		n.prefix, n.kind = false, kindScan
	case t.prefix:
		last := t.text[strings.LastIndexFunc(t.text, func(r rune) bool { return !isTokenRune(r) })+1:]
		if k := utf8.RuneCountInString(last); k < minPrefixRunes {
			return nil, queryErr("%q: a prefix needs at least %d letters before the *", t.text+"*", minPrefixRunes)
		}
	}
	return n, nil
}

// checkPositive rejects AND groups without a term to find: FTS5 can only
// subtract from what something else found.
func checkPositive(n *qnode) error {
	switch n.op {
	case '&':
		pos := false
		for _, k := range n.kids {
			if err := checkPositive(k); err != nil {
				return err
			}
			pos = pos || !k.neg
		}
		if !pos {
			return queryErr(`add a term to find: "-word" only excludes from what the other terms find`)
		}
	case '|':
		for _, k := range n.kids {
			if err := checkPositive(k); err != nil {
				return err
			}
		}
	}
	return nil
}

// simplify flattens an AND in an AND and an OR in an OR.
func simplify(n *qnode) *qnode {
	if n.op == 't' {
		return n
	}
	var kids []*qnode
	for _, k := range n.kids {
		k = simplify(k)
		if k.op == n.op && !k.neg {
			kids = append(kids, k.kids...)
		} else {
			kids = append(kids, k)
		}
	}
	n.kids = kids
	return n
}

// index returns the one index that finds every term under n: kindWord or
// kindSubstr, or kindScan when n needs more than one index or a scan.
func (n *qnode) index() termKind {
	if n.op == 't' {
		return n.kind
	}
	k := n.kids[0].index()
	for _, c := range n.kids[1:] {
		if c.index() != k {
			return kindScan
		}
	}
	return k
}

// fts5 renders n, whose terms all use one FTS5 index, as an FTS5 MATCH
// expression: every term a quoted string, every group in parentheses.
func (n *qnode) fts5() string {
	switch n.op {
	case 't':
		s := `"` + strings.ReplaceAll(n.text, `"`, `""`) + `"`
		if n.prefix {
			s += "*"
		}
		return s
	case '|':
		parts := make([]string, len(n.kids))
		for i, k := range n.kids {
			parts[i] = k.fts5()
		}
		return "(" + strings.Join(parts, " OR ") + ")"
	}
	var pos, neg []string
	for _, k := range n.kids {
		if k.neg {
			neg = append(neg, k.fts5())
		} else {
			pos = append(pos, k.fts5())
		}
	}
	s := "(" + strings.Join(pos, " AND ") + ")"
	if len(neg) > 0 {
		s = "(" + s + " NOT (" + strings.Join(neg, " OR ") + "))"
	}
	return s
}

// likePattern is a LIKE pattern (ESCAPE '\') that finds s anywhere.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// Tables of the two full-text indexes.
const (
	wordTable    = "documents_fts"
	trigramTable = "documents_tri"
	// trigramDocsTable lists the documents of the trigram index (FTS5's
	// shadow table of document sizes: one row per document, id = rowid).
	trigramDocsTable = "documents_tri_docsize"
)

// sqlPred renders n as an SQL condition on documents d: a subtree that one
// index finds is one IN (MATCH) subquery, a scan term a LIKE.
func (n *qnode) sqlPred(args *[]any) string {
	switch k := n.index(); {
	case n.op == 't' && k == kindScan:
		*args = append(*args, likePattern(n.text))
		return `d.text LIKE ? ESCAPE '\'`
	case k == kindWord || k == kindSubstr:
		table := wordTable
		if k == kindSubstr {
			table = trigramTable
		}
		*args = append(*args, n.fts5())
		return "d.id IN (SELECT rowid FROM " + table + " WHERE " + table + " MATCH ?)"
	}
	sep := " OR "
	if n.op == '&' {
		sep = " AND "
	}
	parts := make([]string, len(n.kids))
	for i, c := range n.kids {
		parts[i] = c.sqlPred(args)
		if c.neg {
			parts[i] = "NOT " + parts[i]
		}
	}
	return "(" + strings.Join(parts, sep) + ")"
}

// textPlan is how a search text selects documents.
type textPlan struct {
	// none: the text has words but none can match (only punctuation).
	none bool
	// table is the full-text table that drives the query ("" = documents
	// alone) and match its MATCH expression.
	table, match string
	// where and args are further conditions on documents d.
	where []string
	args  []any
	// marks are the substrings that the snippet marks when no full-text
	// table drives the query.
	marks []string
	// trigramDocs: with no table, only the documents that the trigram
	// index holds can match (every match needs a substring rune), so only
	// they are scanned.
	trigramDocs bool
}

// needsSubstrRune reports whether every document n matches holds a
// substring rune, and so is in the trigram index.
func (n *qnode) needsSubstrRune() bool {
	switch n.op {
	case 't':
		return n.kind != kindWord && strings.IndexFunc(n.text, isSubstrRune) >= 0
	case '&':
		for _, k := range n.kids {
			if !k.neg && k.needsSubstrRune() {
				return true
			}
		}
		return false
	}
	for _, k := range n.kids {
		if !k.needsSubstrRune() {
			return false
		}
	}
	return true
}

// planText parses a search text into a textPlan.
func planText(text string) (textPlan, error) {
	var pl textPlan
	root, err := parseQuery(text)
	if err != nil {
		return pl, err
	}
	if root == nil {
		pl.none = strings.TrimSpace(text) != ""
		return pl, nil
	}
	kids := []*qnode{root}
	if root.op == '&' {
		kids = root.kids
	}
	// The driver is the index that finds the most terms of the top-level
	// AND (the word index wins a tie: its MATCH also gives the snippet).
	var count [2]int
	for _, k := range kids {
		if i := k.index(); !k.neg && i != kindScan {
			count[i]++
		}
	}
	drive := kindScan
	switch {
	case count[kindWord] > 0 && count[kindWord] >= count[kindSubstr]:
		drive = kindWord
	case count[kindSubstr] > 0:
		drive = kindSubstr
	}
	pl.trigramDocs = drive == kindScan && root.needsSubstrRune()
	var in []*qnode
	for _, k := range kids {
		if drive != kindScan && k.index() == drive {
			in = append(in, k)
			continue
		}
		p := k.sqlPred(&pl.args)
		if k.neg {
			p = "NOT " + p
		}
		pl.where = append(pl.where, p)
		if !k.neg {
			k.collectMarks(&pl.marks)
		}
	}
	if len(in) > 0 {
		pl.table = wordTable
		if drive == kindSubstr {
			pl.table = trigramTable
		}
		pl.match = (&qnode{op: '&', kids: in}).fts5()
		if len(in) == 1 && !in[0].neg {
			pl.match = in[0].fts5()
		}
	}
	return pl, nil
}

// collectMarks adds the scan terms that n needs to occur.
func (n *qnode) collectMarks(out *[]string) {
	if n.neg {
		return
	}
	if n.op == 't' {
		if n.kind != kindWord {
			*out = append(*out, n.text)
		}
		return
	}
	for _, k := range n.kids {
		k.collectMarks(out)
	}
}
