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
	var (
		chunks []Chunk
		path   []string // heading titles by level
		levels []int
		cur    []string
		curLen int
		body   bool // the current section has a line that is not a heading
	)
	section := func() string { return strings.Join(path, " > ") }
	emit := func() {
		if len(cur) == 0 {
			return
		}
		chunks = append(chunks, Chunk{Seq: len(chunks), Section: section(), Text: strings.Join(cur, "")})
		// Keep the tail for overlap.
		var keep []string
		n := 0
		for i := len(cur) - 1; i >= 0 && opt.Overlap > 0; i-- {
			l := utf8.RuneCountInString(cur[i])
			if n+l > opt.Overlap {
				break
			}
			keep = append([]string{cur[i]}, keep...)
			n += l
		}
		cur, curLen = keep, n
	}
	flushSection := func() {
		if body {
			emit()
		}
		cur, curLen, body = nil, 0, false
	}
	add := func(s string) {
		l := utf8.RuneCountInString(s)
		if curLen > 0 && curLen+l > opt.MaxRunes {
			// Do not start a chunk with only overlap if nothing new fits.
			emit()
			if curLen+l > opt.MaxRunes {
				cur, curLen = nil, 0
			}
		}
		for l > opt.MaxRunes {
			rs := []rune(s)
			cur = append(cur, string(rs[:opt.MaxRunes]))
			curLen += opt.MaxRunes
			emit()
			cur, curLen = nil, 0
			s = string(rs[opt.MaxRunes:])
			l -= opt.MaxRunes
		}
		if l > 0 {
			cur = append(cur, s)
			curLen += l
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
			if i == 0 && len(cur) > 0 {
				s = "\n" + s
			}
			add(s)
		}
	}
	if body {
		emit()
	}
	return chunks
}
