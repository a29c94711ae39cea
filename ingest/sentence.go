package ingest

import "strings"

// sentenceEnds are the marks that end a sentence in these reports. The
// semicolon counts: reports list achievements as "一是…；二是…；", and each
// item is a statement on its own.
const sentenceEnds = "。！？；!?;"

// Sentences splits text into sentences, keeping each end mark with its
// sentence. Line breaks also end a sentence (headings stand on their own
// lines). Closing quotes and brackets directly after an end mark stay with
// the sentence. Empty pieces are dropped; surrounding space is trimmed.
func Sentences(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if s := strings.TrimSpace(b.String()); s != "" {
			out = append(out, s)
		}
		b.Reset()
	}
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == '\n' || r == '\r' {
			flush()
			continue
		}
		b.WriteRune(r)
		if strings.ContainsRune(sentenceEnds, r) {
			for i+1 < len(rs) && strings.ContainsRune("”’」』）)】", rs[i+1]) {
				i++
				b.WriteRune(rs[i])
			}
			flush()
		}
	}
	flush()
	return out
}
