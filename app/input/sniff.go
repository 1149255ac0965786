package input

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Text encodings an input can be in (Options.Encoding, and what
// sniffing reports).
const (
	EncodingUTF8        = "utf-8"
	EncodingUTF8BOM     = "utf-8-bom"
	EncodingUTF16LE     = "utf-16le"
	EncodingUTF16BE     = "utf-16be"
	EncodingWindows1252 = "windows-1252" // also what Latin-1 (ISO 8859-1) files decode as
)

// sniffBytes is how much of an input sniffing reads ahead.
const sniffBytes = 64 << 10

// parseEncoding accepts the names users type for the encodings above.
func parseEncoding(s string) (string, error) {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-")) {
	case "", "auto":
		return "", nil
	case "utf-8", "utf8":
		return EncodingUTF8, nil
	case "utf-8-bom", "utf8-bom", "utf-8-sig":
		return EncodingUTF8BOM, nil
	case "utf-16le", "utf16le", "utf-16", "utf16":
		return EncodingUTF16LE, nil
	case "utf-16be", "utf16be":
		return EncodingUTF16BE, nil
	case "windows-1252", "cp1252", "latin-1", "latin1", "iso-8859-1", "iso8859-1", "ansi":
		return EncodingWindows1252, nil
	}
	return "", fmt.Errorf("%w: encoding %q (want utf-8, utf-16le, utf-16be, windows-1252 or latin-1)", ErrBadRequest, s)
}

// detectEncoding names the encoding of sample, the start of an input: a
// byte-order mark says it; UTF-16 without one shows as NUL bytes in every
// other position; bytes that are not UTF-8, in a sample with no valid
// multi-byte UTF-8 sequence, mean a Windows-1252 / Latin-1 file. A sample
// that mixes valid UTF-8 and invalid bytes stays UTF-8 (the broken rows are
// reported), since decoding it as Windows-1252 would garble every other row.
func detectEncoding(sample []byte) string {
	switch {
	case bytes.HasPrefix(sample, []byte("\xef\xbb\xbf")):
		return EncodingUTF8BOM
	case bytes.HasPrefix(sample, []byte("\xff\xfe")):
		return EncodingUTF16LE
	case bytes.HasPrefix(sample, []byte("\xfe\xff")):
		return EncodingUTF16BE
	}
	if len(sample) >= 4 {
		var even, odd int
		n := min(len(sample), 4096) &^ 1
		for i := 0; i < n; i += 2 {
			if sample[i] == 0 {
				even++
			}
			if sample[i+1] == 0 {
				odd++
			}
		}
		half := n / 2
		switch {
		case odd*10 > half*6 && even*10 < half:
			return EncodingUTF16LE
		case even*10 > half*6 && odd*10 < half:
			return EncodingUTF16BE
		}
	}
	multi, invalid := 0, 0
	for i := 0; i < len(sample); {
		c := sample[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(sample[i:])
		if r == utf8.RuneError && size <= 1 {
			if len(sample)-i < utf8.UTFMax && !utf8.FullRune(sample[i:]) {
				break // a rune cut at the end of the sample
			}
			invalid++
			i++
			continue
		}
		multi++
		i += size
	}
	if invalid > 0 && multi == 0 {
		return EncodingWindows1252
	}
	return EncodingUTF8
}

func decoderOf(enc string) *encoding.Decoder {
	switch enc {
	case EncodingUTF16LE:
		return xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewDecoder()
	case EncodingUTF16BE:
		return xunicode.UTF16(xunicode.BigEndian, xunicode.UseBOM).NewDecoder()
	case EncodingWindows1252:
		return charmap.Windows1252.NewDecoder()
	}
	return nil
}

// looksBinary reports why a decoded sample is not text: NUL bytes, or many
// control characters (an executable or an archive renamed .txt).
func looksBinary(sample []byte) string {
	if len(sample) == 0 {
		return ""
	}
	if i := bytes.IndexByte(sample, 0); i >= 0 {
		return fmt.Sprintf("it holds NUL bytes (the first at byte %d)", i)
	}
	ctrl := 0
	for _, c := range sample {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v' {
			ctrl++
		}
	}
	if ctrl*20 > len(sample) {
		return fmt.Sprintf("%d of its first %d bytes are control characters", ctrl, len(sample))
	}
	return ""
}

// decodedInput is an input after its encoding is known: a reader of UTF-8
// (without a byte-order mark) and what was found.
type decodedInput struct {
	r        *bufio.Reader
	encoding string
	sample   []byte // the decoded start of the input (up to sniffBytes)
}

// decodeInput sniffs (or takes from want) the encoding of r, refuses binary
// data, and returns a UTF-8 reader over it.
func decodeInput(r io.Reader, source, want string) (*decodedInput, error) {
	enc, err := parseEncoding(want)
	if err != nil {
		return nil, err
	}
	raw := bufio.NewReaderSize(r, sniffBytes)
	head, err := raw.Peek(sniffBytes)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, err
	}
	if enc == "" {
		enc = detectEncoding(head)
	}
	var src io.Reader = raw
	if d := decoderOf(enc); d != nil {
		src = transform.NewReader(raw, d)
	}
	br := bufio.NewReaderSize(src, sniffBytes)
	sample, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("%w: %s: cannot decode as %s: %v", ErrBadRequest, source, enc, err)
	}
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
		sample = sample[3:]
	}
	if why := looksBinary(sample); why != "" {
		return nil, fmt.Errorf("%w: %s does not look like text: %s; nothing was imported", ErrBadRequest, source, why)
	}
	return &decodedInput{r: br, encoding: enc, sample: sample}, nil
}

// Delimiters sniffing tries, in order of preference on a tie.
var delimiters = []rune{',', ';', '\t', '|'}

// parseDelimiter accepts one character, or the names tab, comma, semicolon
// and pipe.
func parseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "":
		return 0, nil
	case "tab", `\t`:
		return '\t', nil
	case "comma":
		return ',', nil
	case "semicolon":
		return ';', nil
	case "pipe":
		return '|', nil
	}
	r, size := utf8.DecodeRuneInString(s)
	if size != len(s) || r == '"' || r == '\n' || r == '\r' || r == utf8.RuneError {
		return 0, fmt.Errorf("%w: delimiter %q (want one character such as , ; | or tab)", ErrBadRequest, s)
	}
	return r, nil
}

// sampleRows parses up to n rows of sample with delimiter d; a parse error
// ends the rows (a truncated last row of the sample is dropped).
func sampleRows(sample []byte, d rune, n int) [][]string {
	// Only whole lines: the sample may end inside a row.
	if i := bytes.LastIndexByte(sample, '\n'); i >= 0 && len(sample) == sniffBytes {
		sample = sample[:i+1]
	}
	cr := csv.NewReader(bytes.NewReader(sample))
	cr.Comma = d
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	var rows [][]string
	for len(rows) < n {
		row, err := cr.Read()
		if err != nil {
			break
		}
		rows = append(rows, row)
	}
	return rows
}

// sniffDelimiter picks the delimiter under which the sample's rows have the
// same number of fields (more than one) most often.
func sniffDelimiter(sample []byte) rune {
	best, bestScore := ',', -1.0
	for _, d := range delimiters {
		rows := sampleRows(sample, d, 50)
		if len(rows) == 0 {
			continue
		}
		counts := map[int]int{}
		for _, r := range rows {
			counts[len(r)]++
		}
		mode, modeN := 0, 0
		for k, v := range counts {
			if v > modeN || v == modeN && k > mode {
				mode, modeN = k, v
			}
		}
		if mode < 2 {
			continue
		}
		// Consistency first, then more columns.
		score := float64(modeN)/float64(len(rows)) + float64(mode)/1000
		if score > bestScore+1e-9 {
			best, bestScore = d, score
		}
	}
	return best
}

var (
	numberRE = regexp.MustCompile(`^[-+]?[$€£]?\d[\d,.' ]*%?$`)
	dateRE   = regexp.MustCompile(`^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$`)
)

// ColumnInfo describes one column of a tabular input, from its first rows.
type ColumnInfo struct {
	Index     int     `json:"index"` // 0-based
	Name      string  `json:"name"`  // the header, or the 1-based index when there is no header row
	Kind      string  `json:"kind"`  // text, number, date or empty: what most of its values are
	MeanChars float64 `json:"mean_chars"`
	TextShare float64 `json:"text_share"` // share of non-empty values that are text (have a letter, are not numbers or dates)
}

// textNames are header names that say a column holds the text.
var textNames = []string{"text", "body", "content", "review", "review_text", "message", "comment", "tweet", "sentence", "description"}

// describeColumns summarises the columns of rows (data rows, no header).
func describeColumns(names []string, rows [][]string) []ColumnInfo {
	out := make([]ColumnInfo, len(names))
	for i, name := range names {
		ci := ColumnInfo{Index: i, Name: name}
		var n, text, num, date, chars int
		for _, r := range rows {
			if i >= len(r) {
				continue
			}
			v := strings.TrimSpace(r[i])
			if v == "" {
				continue
			}
			n++
			chars += utf8.RuneCountInString(v)
			switch {
			case numberRE.MatchString(v):
				num++
			case dateRE.MatchString(v):
				date++
			case strings.IndexFunc(v, unicode.IsLetter) >= 0:
				text++
			}
		}
		switch {
		case n == 0:
			ci.Kind = "empty"
		case num*2 > n:
			ci.Kind = "number"
		case date*2 > n:
			ci.Kind = "date"
		default:
			ci.Kind = "text"
		}
		if n > 0 {
			ci.MeanChars = float64(chars) / float64(n)
			ci.TextShare = float64(text) / float64(n)
		}
		out[i] = ci
	}
	return out
}

// chooseTextColumn picks the column that holds the texts: one named like a
// text column (text, body, review, …) if its values are mostly text, else
// the text column with the longest values. -1 when no column is mostly text.
func chooseTextColumn(cols []ColumnInfo) int {
	for _, want := range textNames {
		for _, c := range cols {
			if strings.EqualFold(strings.TrimSpace(c.Name), want) && c.TextShare >= 0.5 {
				return c.Index
			}
		}
	}
	best := -1
	for _, c := range cols {
		if c.TextShare >= 0.5 && (best < 0 || c.MeanChars > cols[best].MeanChars) {
			best = c.Index
		}
	}
	return best
}

// looksLikeHeader reports whether row is a header over the data rows below
// it: every field filled, short, unique and not a number or a date, and not
// as long as the texts below it.
func looksLikeHeader(row []string, data [][]string) bool {
	if len(row) == 0 {
		return false
	}
	seen := map[string]bool{}
	for _, f := range row {
		f = strings.TrimSpace(f)
		if f == "" || utf8.RuneCountInString(f) > 64 || seen[f] || numberRE.MatchString(f) || dateRE.MatchString(f) {
			return false
		}
		seen[f] = true
	}
	if len(data) == 0 {
		return true
	}
	// A column of numbers or dates under a name is the clearest sign.
	cols := describeColumns(row, data)
	for _, c := range cols {
		if c.Kind == "number" || c.Kind == "date" {
			return true
		}
	}
	// Otherwise the header is much shorter than the values under it, or,
	// with several columns, made of short names.
	var hdr, val float64
	longest := 0
	for i, c := range cols {
		n := utf8.RuneCountInString(row[i])
		hdr += float64(n)
		val += c.MeanChars
		longest = max(longest, n)
	}
	return hdr*2 < val || len(row) > 1 && longest <= 20
}

// pickColumnByName finds column (a header name, case-insensitive, or a
// 1-based index) among names.
func pickColumnByName(names []string, column string) (int, error) {
	for i, h := range names {
		if strings.TrimSpace(h) == column {
			return i, nil
		}
	}
	for i, h := range names {
		if strings.EqualFold(strings.TrimSpace(h), column) {
			return i, nil
		}
	}
	if n, err := strconv.Atoi(column); err == nil && n >= 1 && n <= len(names) {
		return n - 1, nil
	}
	return 0, fmt.Errorf("%w: no column %q (columns: %s)", ErrBadRequest, column, strings.Join(names, ", "))
}
