package ingest

import (
	"strings"
	"unicode/utf8"
)

// sentenceEnds are the marks that end a sentence in these reports. The
// semicolon counts: reports list achievements as "一是…；二是…；", and each
// item is a statement on its own.
const sentenceEnds = "。！？；!?;"

// Sentences splits text into sentences, keeping each end mark with its
// sentence. Line breaks also end a sentence (headings stand on their own
// lines). Closing quotes and brackets directly after an end mark stay with
// the sentence. Empty pieces are dropped; surrounding space is trimmed.
func Sentences(text string) []string {
	if !utf8.ValidString(text) {
		text = string([]rune(text)) // each invalid byte reads as U+FFFD
	}
	// A sentence is a stretch of text between two ends, so it is cut out
	// of text (and copied, not to hold text alive) rather than built.
	var out []string
	start := 0
	flush := func(end int) {
		if s := strings.TrimSpace(text[start:end]); s != "" {
			out = append(out, strings.Clone(s))
		}
	}
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if r == '\n' || r == '\r' {
			flush(i)
			i += n
			start = i
			continue
		}
		i += n
		if strings.ContainsRune(sentenceEnds, r) {
			for i < len(text) {
				r, n := utf8.DecodeRuneInString(text[i:])
				if !strings.ContainsRune("”’」』）)】", r) {
					break
				}
				i += n
			}
			flush(i)
			start = i
		}
	}
	flush(len(text))
	return out
}
