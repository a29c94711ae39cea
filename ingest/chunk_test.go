package ingest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"fazhi/ingest"
	"fazhi/internal/testcorpus"
)

// The -update flag is registered by clean_test.go (and read through
// updating()); this file only uses it.

// formatChunks renders chunks for a golden file: a header line with the
// sequence number, rune count and section path, then the text.
func formatChunks(chunks []ingest.Chunk) string {
	var b strings.Builder
	for _, c := range chunks {
		fmt.Fprintf(&b, "=== chunk %d (%d runes) section: %s\n%s\n", c.Seq, utf8.RuneCountInString(c.Text), c.Section, c.Text)
	}
	return b.String()
}

// checkChunkGolden compares got with the golden file, or rewrites it with -update.
func checkChunkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if updating() {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./ingest -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("chunks differ from %s (run go test ./ingest -run %s -update to accept):\n%s", golden, t.Name(), firstLineDiff(got, string(want)))
	}
}

// seedNames returns the file names of the seed reports.
func seedNames(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, p := range seedReportPaths(tb) {
		out = append(out, filepath.Base(p))
	}
	return out
}

func TestChunkTextGolden(t *testing.T) {
	for _, name := range seedNames(t) {
		t.Run(name, func(t *testing.T) {
			chunks := ingest.ChunkText(cleanSeed(t, name), ingest.DefaultChunkOptions())
			if len(chunks) == 0 {
				t.Fatalf("got 0 chunks, want some")
			}
			golden := filepath.Join("testdata", "chunks", strings.TrimSuffix(name, ".txt")+".golden")
			checkChunkGolden(t, golden, formatChunks(chunks))
		})
	}
}

// checkChunkProperties checks what ChunkText promises for any text:
// sequence numbers in order, no empty or untrimmed chunk, no chunk over the limit
// unless it is one over-long sentence alone, and no sentence cut (every
// sentence of the text is whole in some chunk, or is a heading line that
// stands in the section path).
func checkChunkProperties(t *testing.T, text string, opt ingest.ChunkOptions, chunks []ingest.Chunk) {
	t.Helper()
	for i, c := range chunks {
		if c.Seq != i {
			t.Errorf("chunk %d: got Seq %d, want %d", i, c.Seq, i)
		}
		if strings.TrimSpace(c.Text) == "" {
			t.Errorf("chunk %d: got empty text", i)
		} else if c.Text != strings.TrimSpace(c.Text) {
			t.Errorf("chunk %d: got text %.30q with surrounding white space, want it trimmed", i, c.Text)
		}
		if n := utf8.RuneCountInString(c.Text); n > opt.MaxRunes {
			if ss := ingest.Sentences(c.Text); len(ss) != 1 {
				t.Errorf("chunk %d: got %d runes in %d sentences, want at most %d runes unless one over-long sentence", i, n, len(ss), opt.MaxRunes)
			}
		}
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		for _, s := range ingest.Sentences(line) {
			if utf8.RuneCountInString(s) > opt.MaxRunes {
				continue // may be cut: it cannot fit in any chunk
			}
			if inSomeChunk(chunks, s) {
				continue
			}
			if ingest.HeadingLevel(line) >= 0 && inSomeSection(chunks, s) {
				continue
			}
			t.Errorf("sentence %q (%d runes) is in no chunk whole", s, utf8.RuneCountInString(s))
		}
	}
}

func inSomeChunk(chunks []ingest.Chunk, s string) bool {
	for _, c := range chunks {
		if strings.Contains(c.Text, s) {
			return true
		}
	}
	return false
}

func inSomeSection(chunks []ingest.Chunk, s string) bool {
	s = strings.TrimRight(s, "。：:；;")
	for _, c := range chunks {
		if strings.Contains(c.Section, s) {
			return true
		}
	}
	return false
}

func TestChunkTextProperties(t *testing.T) {
	opts := []ingest.ChunkOptions{
		ingest.DefaultChunkOptions(),
		{MaxRunes: 120, Overlap: 30},
		{MaxRunes: 60, Overlap: 0},
		{MaxRunes: 40, Overlap: 39},
	}
	for _, name := range seedNames(t) {
		text := cleanSeed(t, name)
		for _, opt := range opts {
			t.Run(fmt.Sprintf("%s/max%d-overlap%d", name, opt.MaxRunes, opt.Overlap), func(t *testing.T) {
				checkChunkProperties(t, text, opt, ingest.ChunkText(text, opt))
			})
		}
	}
}

func TestChunkTextOverLongSentence(t *testing.T) {
	long := strings.Repeat("依法行政", 40) + "。" // 161 runes, one sentence
	text := "一、主要举措\n短句一。" + long + "短句二。\n"
	opt := ingest.ChunkOptions{MaxRunes: 50, Overlap: 10}
	chunks := ingest.ChunkText(text, opt)
	checkChunkProperties(t, text, opt, chunks)
	var joined strings.Builder
	for _, c := range chunks {
		if n := utf8.RuneCountInString(c.Text); n > opt.MaxRunes {
			t.Errorf("chunk %d: got %d runes, want at most %d (an over-long sentence is cut into pieces)", c.Seq, n, opt.MaxRunes)
		}
		joined.WriteString(c.Text)
	}
	if !strings.Contains(strings.ReplaceAll(joined.String(), "\n", ""), long) {
		t.Errorf("the pieces of the over-long sentence are not all kept in order:\n%s", formatChunks(chunks))
	}
}

func TestChunkTextSentenceOfExactlyMaxRunes(t *testing.T) {
	// A sentence exactly as long as the limit fits in a chunk of its own,
	// also when it starts a new line after other text.
	exact := strings.Repeat("法", 29) + "。" // 30 runes
	text := "一、总体情况\n开头一句。\n" + exact + "\n结尾一句。\n"
	opt := ingest.ChunkOptions{MaxRunes: 30, Overlap: 0}
	checkChunkProperties(t, text, opt, ingest.ChunkText(text, opt))
}

func TestChunkTextSections(t *testing.T) {
	tests := []struct {
		file   string
		prefix string
	}{
		{"004_40507ad071df1468.txt", "一、推进法治政府建设的主要举措及成效 > （三）强化综合治理"},
		{"003_77ad51e2d2cfaeb9.txt", "一、工作开展情况 > （一）加强组织领导，落实主体责任"},
		{"000_cd4b96a87fea5f69.txt", "一、2020年度推进法治政府建设的主要举措"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			chunks := ingest.ChunkText(cleanSeed(t, tt.file), ingest.DefaultChunkOptions())
			for _, c := range chunks {
				if strings.HasPrefix(c.Section, tt.prefix) {
					return
				}
			}
			var secs []string
			for _, c := range chunks {
				secs = append(secs, c.Section)
			}
			t.Errorf("no chunk has a section starting with %q; got sections %q", tt.prefix, secs)
		})
	}
}

func TestChunkTextOutline(t *testing.T) {
	text := strings.Join([]string{
		"某镇2021年法治政府建设工作报告",
		"现将有关情况报告如下：",
		"一、主要举措",
		"（一）加强组织领导",
		"成立了领导小组。",
		"1、健全制度",
		"制定了学法制度。",
		"（二）强化法治宣传",
		"开展普法活动12场。",
		"二、存在问题",
		"宣传形式单一。",
		"三、下一步打算。继续加强学法。",
	}, "\n") + "\n"
	got := ingest.ChunkText(text, ingest.ChunkOptions{MaxRunes: 300})
	want := []struct{ section, text string }{
		{"", "某镇2021年法治政府建设工作报告\n现将有关情况报告如下："},
		{"一、主要举措 > （一）加强组织领导", "（一）加强组织领导\n成立了领导小组。"},
		{"一、主要举措 > （一）加强组织领导 > 1、健全制度", "1、健全制度\n制定了学法制度。"},
		{"一、主要举措 > （二）强化法治宣传", "（二）强化法治宣传\n开展普法活动12场。"},
		{"二、存在问题", "二、存在问题\n宣传形式单一。"},
		{"三、下一步打算", "三、下一步打算。继续加强学法。"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d chunks, want %d:\n%s", len(got), len(want), formatChunks(got))
	}
	for i, w := range want {
		if got[i].Section != w.section || got[i].Text != w.text {
			t.Errorf("chunk %d: got (%q, %q), want (%q, %q)", i, got[i].Section, got[i].Text, w.section, w.text)
		}
	}
}

func TestChunkTextOverlap(t *testing.T) {
	var sents []string
	for i := range 20 {
		sents = append(sents, fmt.Sprintf("第%02d句话说的是依法行政。", i)) // 13 runes
	}
	text := "一、主要举措\n" + strings.Join(sents, "") + "\n"
	tests := []struct {
		name    string
		opt     ingest.ChunkOptions
		overlap int // sentences a chunk shares with the one before it
	}{
		{"no overlap", ingest.ChunkOptions{MaxRunes: 60, Overlap: 0}, 0},
		{"one sentence", ingest.ChunkOptions{MaxRunes: 60, Overlap: 13}, 1},
		{"two sentences", ingest.ChunkOptions{MaxRunes: 60, Overlap: 30}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks := ingest.ChunkText(text, tt.opt)
			checkChunkProperties(t, text, tt.opt, chunks)
			if len(chunks) < 3 {
				t.Fatalf("got %d chunks, want at least 3", len(chunks))
			}
			covered := map[string]bool{}
			for i, c := range chunks {
				ss := ingest.Sentences(c.Text)
				for _, s := range ss {
					covered[s] = true
				}
				if i == 0 {
					continue
				}
				prev := ingest.Sentences(chunks[i-1].Text)
				if len(prev) < tt.overlap || len(ss) < tt.overlap {
					t.Fatalf("chunk %d: too few sentences to compare", i)
				}
				// The first tt.overlap sentences of chunk i are the last of chunk i-1.
				gotHead := strings.Join(ss[:tt.overlap], "")
				wantHead := strings.Join(prev[len(prev)-tt.overlap:], "")
				if gotHead != wantHead {
					t.Errorf("chunk %d starts with %q, want the tail of chunk %d %q", i, gotHead, i-1, wantHead)
				}
				if tt.overlap < len(prev) && len(ss) > tt.overlap && ss[tt.overlap] == prev[len(prev)-tt.overlap-1] {
					t.Errorf("chunk %d repeats more than %d sentences of chunk %d", i, tt.overlap, i-1)
				}
			}
			if len(covered) != len(sents)+1 { // + the heading line
				t.Errorf("got %d distinct sentences in chunks, want %d", len(covered), len(sents)+1)
			}
		})
	}
}

func TestChunkTextEmpty(t *testing.T) {
	for _, text := range []string{"", "\n\n", "   \n"} {
		if got := ingest.ChunkText(text, ingest.DefaultChunkOptions()); len(got) != 0 {
			t.Errorf("ChunkText(%q): got %d chunks, want 0", text, len(got))
		}
	}
}

func TestChunkTextZeroOptionsUseDefaults(t *testing.T) {
	text := cleanSeed(t, "000_cd4b96a87fea5f69.txt")
	got := formatChunks(ingest.ChunkText(text, ingest.ChunkOptions{}))
	want := formatChunks(ingest.ChunkText(text, ingest.DefaultChunkOptions()))
	if got != want {
		t.Errorf("ChunkText with zero options differs from the defaults:\n%s", firstLineDiff(got, want))
	}
}

func TestHeadingLevel(t *testing.T) {
	tests := []struct {
		line string
		want int
	}{
		{"第一部分 工作情况", 0},
		{"第二章 总则", 0},
		{"一、主要举措", 1},
		{"十二、其他", 1},
		{"三．存在问题", 1},
		{"（一）加强组织领导", 2},
		{"(二)依法开展疫情防控。", 2},
		{"1、健全制度", 3},
		{"12.强化监督", 3},
		{"（1）学法", 4},
		{"(10)用法", 4},
		{"一是加强学法。", -1},
		{"2021年，我镇全年调解纠纷。", -1},
		{"3.15消费者权益日", -1},
		{"渔门镇人民政府", -1},
		{"", -1},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			if got := ingest.HeadingLevel(tt.line); got != tt.want {
				t.Errorf("HeadingLevel(%q): got %d, want %d", tt.line, got, tt.want)
			}
		})
	}
}

// sentencesByRune is Sentences as first written, rune by rune into a
// builder: the definition the faster one is checked against.
func sentencesByRune(text string) []string {
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
		if strings.ContainsRune("。！？；!?;", r) {
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

// TestSentencesByRune checks Sentences against sentencesByRune on every
// seed and real report, raw and cleaned, and on random texts over the
// characters that matter (ends, closing quotes, line breaks, spaces,
// invalid bytes).
func TestSentencesByRune(t *testing.T) {
	var texts []string
	for _, text := range testcorpus.Texts(t, "..") {
		texts = append(texts, text, ingest.Clean(text))
	}
	alphabet := []string{"。", "！", "？", "；", "!", "?", ";", "”", "’", "」", "』", "）", ")", "】", "\n", "\r", " ", "\u3000", "\t", "调解", "a", "\xff", "\xe4\xb8", "\u2028"}
	texts = append(texts, testcorpus.Jumbles(5, alphabet, 2000, 40)...)
	for i, text := range texts {
		if got, want := ingest.Sentences(text), sentencesByRune(text); !slices.Equal(got, want) {
			t.Fatalf("text %d (%.40q): Sentences gives %q, want %q", i, text, got, want)
		}
	}
}
