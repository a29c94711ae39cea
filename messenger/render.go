package messenger

import (
	"html"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Span is a run of text shown with at most one style.
type Span struct {
	Text  string
	Style Style
}

// Style is how a span is shown.
type Style string

// The styles a reply uses. Each Format shows them as its platform can.
const (
	StylePlain Style = ""
	StyleBold  Style = "b"
	StyleItal  Style = "i"
	StyleCode  Style = "code"
	StyleQuote Style = "blockquote"
)

// Plain is an unstyled span.
func Plain(s string) Span { return Span{Text: s} }

// Styled is a span in style st.
func Styled(st Style, s string) Span { return Span{Text: s, Style: st} }

// Format is how one platform writes styled text and measures a message
// against its length limit.
type Format struct {
	// Open and Close return the markup around a span of a style.
	Open, Close func(Style) string
	// Rune returns r as written inside a span of a style (escaped).
	Rune func(Style, rune) string
	// Len measures written text in the unit of the platform's limit.
	Len func(string) int
}

// HTML is Telegram's HTML: tags, entities escaped, length in UTF-16 code
// units as Telegram counts them.
var HTML = Format{
	Open: func(st Style) string {
		if st == StylePlain {
			return ""
		}
		return "<" + string(st) + ">"
	},
	Close: func(st Style) string {
		if st == StylePlain {
			return ""
		}
		return "</" + string(st) + ">"
	},
	Rune: func(_ Style, r rune) string { return html.EscapeString(string(r)) },
	Len:  func(s string) int { return len(utf16.Encode([]rune(s))) },
}

// Markdown is the subset DingTalk and WeCom render: **bold**, *italic*,
// `code` and "> " quotes, with each line break written as a Markdown hard
// break; length in UTF-8 bytes.
var Markdown = Format{
	Open: func(st Style) string {
		switch st {
		case StyleBold:
			return "**"
		case StyleItal:
			return "*"
		case StyleCode:
			return "`"
		case StyleQuote:
			return "> "
		}
		return ""
	},
	Close: func(st Style) string {
		switch st {
		case StyleBold:
			return "**"
		case StyleItal:
			return "*"
		case StyleCode:
			return "`"
		case StyleQuote:
			return "\n" // a blank line must end a quote
		}
		return ""
	},
	Rune: func(st Style, r rune) string {
		switch {
		case r == '\n' && st == StyleQuote:
			return "  \n> "
		case r == '\n':
			return "  \n"
		case strings.ContainsRune(`\*_`+"`", r):
			return `\` + string(r)
		}
		return string(r)
	},
	Len: func(s string) int { return len(s) },
}

// Text is plain text without markup, for platforms or message types that
// show no styles; length in UTF-8 bytes.
var Text = Format{
	Open:  func(Style) string { return "" },
	Close: func(Style) string { return "" },
	Rune:  func(_ Style, r rune) string { return string(r) },
	Len:   func(s string) int { return len(s) },
}

// Render writes spans in format f as messages of at most limit units each.
// Text is split first and escaped afterwards, so no part ever ends inside a
// tag or an escape, and a span cut in two is closed and reopened across the
// messages. Cuts prefer a line break, then the end of a sentence, then a
// space; a single line longer than a message is cut at a rune boundary.
// Whitespace-only messages are dropped.
func (f Format) Render(spans []Span, limit int) []string {
	var (
		out     []string
		cur     strings.Builder
		curCost int
	)
	flush := func() {
		if strings.TrimSpace(cur.String()) != "" {
			out = append(out, strings.TrimRight(cur.String(), "\n "))
		}
		cur.Reset()
		curCost = 0
	}
	write := func(st Style, text string) {
		if text == "" {
			return
		}
		cur.WriteString(f.Open(st))
		for _, r := range text {
			cur.WriteString(f.Rune(st, r))
		}
		cur.WriteString(f.Close(st))
		curCost += f.overhead(st) + f.cost(st, text)
	}

	for _, s := range spans {
		rest := s.Text
		for rest != "" {
			if curCost == 0 {
				// A new message never starts with blank lines.
				rest = strings.TrimLeft(rest, "\n")
				if rest == "" {
					break
				}
			}
			avail := limit - curCost - f.overhead(s.Style)
			fit := f.fitPrefix(s.Style, rest, avail)
			if fit == len(rest) {
				write(s.Style, rest)
				break
			}
			cut := f.breakPoint(s.Style, rest[:fit], avail)
			if cut == 0 && curCost > 0 {
				// No good break in what is left of this message: start
				// the span afresh in the next one.
				flush()
				continue
			}
			if cut == 0 {
				cut = fit
			}
			if cut == 0 {
				// Not even one rune fits in an empty message: the limit
				// is smaller than the markup plus one character. Emit the
				// rune anyway rather than loop forever.
				_, cut = utf8.DecodeRuneInString(rest)
			}
			write(s.Style, rest[:cut])
			flush()
			rest = rest[cut:]
		}
	}
	flush()
	return out
}

func (f Format) overhead(st Style) int { return f.Len(f.Open(st)) + f.Len(f.Close(st)) }

// cost is the length of s as written in a span of style st.
func (f Format) cost(st Style, s string) int {
	n := 0
	for _, r := range s {
		n += f.Len(f.Rune(st, r))
	}
	return n
}

// fitPrefix returns the byte length of the longest prefix of s whose cost
// is at most avail.
func (f Format) fitPrefix(st Style, s string, avail int) int {
	used := 0
	for i, r := range s {
		c := f.Len(f.Rune(st, r))
		if used+c > avail {
			return i
		}
		used += c
	}
	return len(s)
}

// breakPoint picks where to cut prefix, a prefix of the text that fits in
// avail: just after its last line break, else after its last sentence end,
// else after its last space, each only if it keeps at least a quarter of
// the room used. It returns 0 when there is no such place.
func (f Format) breakPoint(st Style, prefix string, avail int) int {
	minCost := avail / 4
	ok := func(i int) bool { return i > 0 && f.cost(st, prefix[:i]) >= minCost }
	if i := strings.LastIndexByte(prefix, '\n'); i >= 0 && ok(i+1) {
		return i + 1
	}
	best := -1
	for i, r := range prefix {
		switch r {
		case '。', '！', '？', '；':
			best = i + utf8.RuneLen(r)
		}
	}
	if best > 0 && ok(best) {
		return best
	}
	if i := strings.LastIndexAny(prefix, " \t"); i >= 0 && ok(i+1) {
		return i + 1
	}
	return 0
}
