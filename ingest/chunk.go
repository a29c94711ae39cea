package ingest

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// ChunkOptions sizes chunks, in runes.
type ChunkOptions struct {
	MaxRunes int // a chunk holds whole sentences up to this many runes
	Overlap  int // the last sentences of a chunk, up to this many runes, start the next one
}

// DefaultChunkOptions are the sizes settled by the evaluation: small
// enough that a chunk speaks of one thing, large enough to keep a figure
// with the sentence that says what it counts.
func DefaultChunkOptions() ChunkOptions { return ChunkOptions{MaxRunes: 300, Overlap: 60} }

// Heading levels of the government-document outline.
var headingRes = []*regexp.Regexp{
	regexp.MustCompile(`^第[一二三四五六七八九十]+[部章节]分?`),
	regexp.MustCompile(`^[一二三四五六七八九十]+[、.．]`),
	regexp.MustCompile(`^[（(][一二三四五六七八九十]+[）)]`),
	regexp.MustCompile(`^\d{1,2}[、.．](?:\D|$)`),
	regexp.MustCompile(`^[（(]\d{1,2}[）)]`),
}

// HeadingLevel returns the outline level of a line (1 for "一、", 2 for
// "（一）", 3 for "1、", 4 for "（1）"; "第一部分" is 0) or -1 when the line
// is not a heading.
func HeadingLevel(line string) int {
	for i, re := range headingRes {
		if re.MatchString(line) {
			return i
		}
	}
	return -1
}

// headingTitle is the part of a heading line that names the section: the
// line up to its first sentence end, or its first 40 runes.
func headingTitle(line string) string {
	if i := strings.IndexAny(line, "。！？；;"); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimSpace(line)
	if utf8.RuneCountInString(line) > 40 {
		rs := []rune(line)
		line = string(rs[:40]) + "…"
	}
	return line
}

// Chunk splits cleaned report text into chunks that follow the outline:
// a chunk never spans two sections and never cuts inside a sentence,
// unless one sentence alone is over the limit. Each chunk carries its
// section path ("一、… > （四）…"). ReportID is left for the caller.
func ChunkText(text string, opt ChunkOptions) []Chunk {
	if opt.MaxRunes <= 0 {
		opt = DefaultChunkOptions()
	}
	type piece struct {
		text string
		nl   bool // starts a line of the text
	}
	var (
		chunks []Chunk
		path   []string // heading titles by level
		levels []int
		cur    []piece
		body   bool // the current section has a line that is not a heading
	)
	// size is the chunk's length in runes as joined: line starts inside a
	// chunk keep their line break.
	size := func(ps []piece) int {
		n := 0
		for i, p := range ps {
			n += utf8.RuneCountInString(p.text)
			if i > 0 && p.nl {
				n++
			}
		}
		return n
	}
	join := func(ps []piece) string {
		var b strings.Builder
		for i, p := range ps {
			if i > 0 && p.nl {
				b.WriteByte('\n')
			}
			b.WriteString(p.text)
		}
		return b.String()
	}
	section := func() string { return strings.Join(path, " > ") }
	emit := func() {
		if len(cur) == 0 {
			return
		}
		chunks = append(chunks, Chunk{Seq: len(chunks), Section: section(), Text: join(cur)})
		// Keep the tail for overlap.
		i := len(cur)
		for i > 0 && opt.Overlap > 0 && size(cur[i-1:]) <= opt.Overlap {
			i--
		}
		cur = append([]piece(nil), cur[i:]...)
	}
	flushSection := func() {
		if body {
			emit()
		}
		cur, body = nil, false
	}
	add := func(s string, nl bool) {
		p := piece{s, nl}
		if len(cur) > 0 && size(append(cur[:len(cur):len(cur)], p)) > opt.MaxRunes {
			emit()
			if size(append(cur[:len(cur):len(cur)], p)) > opt.MaxRunes {
				cur = nil // the overlap and the sentence do not fit together
			}
		}
		if utf8.RuneCountInString(s) <= opt.MaxRunes {
			if s != "" {
				cur = append(cur, p)
			}
			return
		}
		rs := []rune(s)
		for len(rs) > opt.MaxRunes {
			// One sentence alone is over the limit: it is cut.
			if len(cur) > 0 {
				emit()
				cur = nil
			}
			cur = []piece{{strings.TrimSpace(string(rs[:opt.MaxRunes])), false}}
			emit()
			cur = nil
			rs = []rune(strings.TrimSpace(string(rs[opt.MaxRunes:])))
			p = piece{string(rs), false}
		}
		if len(rs) > 0 {
			cur = append(cur, p)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		lvl := HeadingLevel(line)
		if lvl >= 0 {
			flushSection()
			for len(levels) > 0 && levels[len(levels)-1] >= lvl {
				levels = levels[:len(levels)-1]
				path = path[:len(path)-1]
			}
			levels = append(levels, lvl)
			path = append(path, headingTitle(line))
		}
		if lvl < 0 || headingTitle(line) != strings.TrimRight(line, "。：:") {
			body = true // a heading line that goes on with text is body too
		}
		for i, s := range Sentences(line) {
			add(s, i == 0)
		}
	}
	if body {
		emit()
	}
	return chunks
}
