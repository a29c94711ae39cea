package bot

import (
	"html"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxMessageLen is the Bot API limit on one message's text. Telegram counts
// UTF-16 code units; we count the escaped HTML source, which is never
// shorter than the text Telegram measures, so every part fits.
const maxMessageLen = 4096

// span is a run of plain text rendered with at most one HTML tag.
type span struct {
	text string
	tag  string // "", "b", "i", "code" or "blockquote"
}

func plain(s string) span        { return span{text: s} }
func styled(tag, s string) span  { return span{text: s, tag: tag} }
func (s span) overhead() int     { return overhead(s.tag) }
func escapeHTML(s string) string { return html.EscapeString(s) }
func utf16Len(s string) (n int)  { return len(utf16.Encode([]rune(s))) }
func runeCost(r rune) int        { return utf16Len(escapeHTML(string(r))) }
func overhead(tag string) int {
	if tag == "" {
		return 0
	}
	return 2*len(tag) + 5 // "<tag>" + "</tag>"
}

// renderHTML turns spans into HTML messages of at most limit UTF-16 units
// each. Plain text is split first and escaped afterwards, so no part ever
// ends inside a tag or an entity, and a span cut in two is closed and
// reopened across the messages. Cuts prefer a line break, then the end of a
// sentence, then a space; a single line longer than a message is cut at a
// rune boundary. Whitespace-only messages are dropped.
func renderHTML(spans []span, limit int) []string {
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
	write := func(tag, text string) {
		if text == "" {
			return
		}
		if tag != "" {
			cur.WriteString("<" + tag + ">")
		}
		cur.WriteString(escapeHTML(text))
		if tag != "" {
			cur.WriteString("</" + tag + ">")
		}
		curCost += overhead(tag) + cost(text)
	}

	for _, s := range spans {
		rest := s.text
		for rest != "" {
			if curCost == 0 {
				// A new message never starts with blank lines.
				rest = strings.TrimLeft(rest, "\n")
				if rest == "" {
					break
				}
			}
			avail := limit - curCost - s.overhead()
			fit := fitPrefix(rest, avail)
			if fit == len(rest) {
				write(s.tag, rest)
				break
			}
			cut := breakPoint(rest[:fit], avail)
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
				// is smaller than a tag plus one character. Emit the rune
				// anyway rather than loop forever.
				_, cut = utf8.DecodeRuneInString(rest)
			}
			write(s.tag, rest[:cut])
			flush()
			rest = rest[cut:]
		}
	}
	flush()
	return out
}

// cost is the UTF-16 length of the escaped text.
func cost(s string) int {
	n := 0
	for _, r := range s {
		n += runeCost(r)
	}
	return n
}

// fitPrefix returns the byte length of the longest prefix of s whose cost
// is at most avail.
func fitPrefix(s string, avail int) int {
	used := 0
	for i, r := range s {
		c := runeCost(r)
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
func breakPoint(prefix string, avail int) int {
	minCost := avail / 4
	ok := func(i int) bool { return i > 0 && cost(prefix[:i]) >= minCost }
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
