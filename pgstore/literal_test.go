package pgstore

import (
	"strconv"
	"strings"
	"testing"
)

func TestTSVectorLiteral(t *testing.T) {
	long := strings.Repeat("a", maxLexemeBytes+1)
	many := make([]string, 0, maxPositions+10)
	for range maxPositions + 10 {
		many = append(many, "x")
	}
	for _, tc := range []struct {
		name   string
		tokens []string
		want   string
	}{
		{"empty", nil, ""},
		{"positions", []string{"法治", "宣传", "法治", "368"}, `'法治':1,3 '宣传':2 '368':4`},
		{"quotes and backslashes", []string{"it's", `a\b`}, `'it''s':1 'a\\b':2`},
		{"too long a lexeme", []string{long, "ok"}, `'ok':2`},
		{"at most 256 positions", many, "'x':" + positions(1, maxPositions)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tsvectorLiteral(tc.tokens); got != tc.want {
				t.Errorf("got %.200q, want %.200q", got, tc.want)
			}
		})
	}
	// Positions past PostgreSQL's limit all become the last one, once.
	toks := make([]string, maxPosition+5)
	for i := range toks {
		toks[i] = "p" + strings.Repeat("q", i%2)
	}
	toks[len(toks)-1] = "late"
	toks[len(toks)-2] = "late"
	if got := tsvectorLiteral(toks); !strings.HasSuffix(got, " 'late':16383") {
		t.Errorf("got ...%q, want it to end with 'late':16383", got[max(0, len(got)-40):])
	}
}

func positions(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		if i > from {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}

func TestQueryTerms(t *testing.T) {
	got := queryTerms([]string{"法治", "", "宣传", "法治", strings.Repeat("z", maxLexemeBytes+1), "o'k"})
	want := []string{"法治", "宣传", "o'k"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("queryTerms = %q, want %q", got, want)
	}
	if got, want := tsqueryLiteral(want), `'法治' | '宣传' | 'o''k'`; got != want {
		t.Errorf("tsqueryLiteral = %q, want %q", got, want)
	}
}

func TestVectorLiteral(t *testing.T) {
	for _, tc := range []struct {
		v    []float32
		want string
	}{
		{nil, "[]"},
		{[]float32{1, -0.5, 0.1, 3e-8}, "[1,-0.5,0.1,3e-08]"},
	} {
		if got := vectorLiteral(tc.v); got != tc.want {
			t.Errorf("vectorLiteral(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestVersionAtLeast(t *testing.T) {
	for _, tc := range []struct {
		v            string
		major, minor int
		want         bool
	}{
		{"0.8.0", 0, 8, true},
		{"0.7.4", 0, 8, false},
		{"0.5", 0, 5, true},
		{"1.0.0", 0, 8, true},
		{"0.10.1", 0, 8, true},
		{"", 0, 5, false},
		{"dev", 0, 5, false},
	} {
		if got := versionAtLeast(tc.v, tc.major, tc.minor); got != tc.want {
			t.Errorf("versionAtLeast(%q, %d, %d) = %v, want %v", tc.v, tc.major, tc.minor, got, tc.want)
		}
	}
}

func TestClean(t *testing.T) {
	if got, want := clean("a\x00b\xffc"), "ab\uFFFDc"; got != want {
		t.Errorf("clean = %q, want %q", got, want)
	}
}

func TestRender(t *testing.T) {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		t.Fatalf("migrations() = %d, %v", len(ms), err)
	}
	for i, m := range ms {
		if m.version != i+1 {
			t.Errorf("migration %s has number %d, want %d: numbers run from 1 without gaps", m.name, m.version, i+1)
		}
	}
	with, err := render(ms[0], 384, true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(with, "vector(384)") || !strings.Contains(with, "USING hnsw (embedding vector_cosine_ops)") {
		t.Errorf("rendered migration lacks the vector column or the HNSW index:\n%s", with)
	}
	without, err := render(ms[0], 3072, false)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(without, "hnsw") {
		t.Errorf("a 3072-dimension store got an HNSW index, which pgvector refuses past %d", hnswMaxDim)
	}
}
