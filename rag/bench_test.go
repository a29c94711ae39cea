package rag_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/philippgille/chromem-go"

	"fazhi/ingest"
	"fazhi/internal/lookalike"
	"fazhi/rag"
	"fazhi/sqlitestore"
)

// Benchmarks of the question path and the store at scale. Fixtures are
// built only when a benchmark runs (never by `go test` without -bench),
// once per process, in a temporary directory that TestMain removes.
//
//	go test ./rag -run '^$' -bench . -benchtime 200x
//	go test ./rag -run '^$' -bench 'VectorSearch|ChromemRaw' -short   # without the 100k size

// benchK is how many results a vector query asks for, as the engine's
// retrieval does.
const benchK = 24

// benchChunksPerReport is about what a real report gives with the
// default chunk options (the seeds average 20.6).
const benchChunksPerReport = 20

var benchSizes = []int{1_000, 10_000, 100_000}

func TestMain(m *testing.M) {
	code := m.Run()
	benchCleanup()
	os.Exit(code)
}

var (
	benchMu       sync.Mutex
	benchRoot     string
	benchClosers  []func() error
	benchFixtures = map[string]*benchFixture{}
)

// benchDir returns a fresh directory under the process's fixture root.
func benchDir(tb testing.TB, name string) string {
	tb.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if benchRoot == "" {
		d, err := os.MkdirTemp("", "fazhi-rag-bench-")
		if err != nil {
			tb.Fatal(err)
		}
		benchRoot = d
	}
	d := filepath.Join(benchRoot, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		tb.Fatal(err)
	}
	return d
}

func benchCleanup() {
	benchMu.Lock()
	defer benchMu.Unlock()
	for i := len(benchClosers) - 1; i >= 0; i-- {
		benchClosers[i]()
	}
	if benchRoot != "" {
		os.RemoveAll(benchRoot)
	}
}

// benchFixture is a filled store, built once per process.
type benchFixture struct {
	once   sync.Once
	err    error
	dir    string
	store  *sqlitestore.SQLite
	eng    *rag.Engine
	towns  []string
	chunks int
}

// benchFixtureFor returns the fixture named key, building it with build
// the first time.
func benchFixtureFor(b *testing.B, key string, build func(f *benchFixture) error) *benchFixture {
	b.Helper()
	benchMu.Lock()
	f := benchFixtures[key]
	if f == nil {
		f = &benchFixture{}
		benchFixtures[key] = f
	}
	benchMu.Unlock()
	f.once.Do(func() {
		b.StopTimer()
		defer b.StartTimer()
		f.dir = benchDir(b, key)
		start := time.Now()
		f.err = build(f)
		if f.err == nil {
			b.Logf("fixture %s: %d chunks built in %s", key, f.chunks, time.Since(start).Round(time.Millisecond))
		}
	})
	if f.err != nil {
		b.Fatalf("fixture %s: %v", key, f.err)
	}
	return f
}

func benchKeep(closer func() error) {
	benchMu.Lock()
	benchClosers = append(benchClosers, closer)
	benchMu.Unlock()
}

// benchSeedTexts reads the seed reports.
func benchSeedTexts(tb testing.TB) (names, texts []string) {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "reports", "*.txt"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no seed reports: %v", err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		names = append(names, filepath.Base(p))
		texts = append(texts, string(data))
	}
	return names, texts
}

// benchQuestions reads the questions of the public seed set, or of the
// project's evaluation set when the seed set is not in the tree.
func benchQuestions(tb testing.TB) []string {
	tb.Helper()
	var path string
	for _, p := range []string{"seed-qa.jsonl", "fazhi-qa.jsonl"} {
		p = filepath.Join("..", "testdata", "eval", p)
		if _, err := os.Stat(p); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		tb.Fatal("no question file in ../testdata/eval")
	}
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var c struct {
			Question string `json:"question"`
		}
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		out = append(out, c.Question)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// benchIngestEngine opens a store in f.dir, ingests texts through the
// engine and leaves the engine open for the process.
func benchIngestEngine(f *benchFixture, names, texts []string) error {
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	st, err := sqlitestore.Open(ctx, f.dir, emb)
	if err != nil {
		return err
	}
	benchKeep(st.Close)
	eng, err := rag.NewEngine(ctx, st, emb)
	if err != nil {
		return err
	}
	for i, name := range names {
		if _, err := eng.IngestFile(ctx, name, []byte(texts[i])); err != nil {
			return err
		}
	}
	stats, err := eng.Stats(ctx)
	if err != nil {
		return err
	}
	f.store, f.eng, f.chunks = st, eng, stats.Chunks
	return nil
}

// benchAsk asks the questions in turn, b.N times in all, and reports the
// median and 95th percentile of one ask.
func benchAsk(b *testing.B, eng *rag.Engine, questions []string) {
	ctx := context.Background()
	// One pass first: the engine builds its per-report caches on demand.
	for _, q := range questions {
		if _, err := eng.Ask(ctx, rag.Question{Text: q}); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := eng.Ask(ctx, rag.Question{Text: questions[i%len(questions)]}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	benchReportPercentiles(b, lat)
}

func benchReportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	at := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		return float64(lat[min(max(i, 0), len(lat)-1)]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
}

// BenchmarkAsk answers the seed questions offline, in process: over the
// five seeds (target p50 < 5 ms) and over 2,000 look-alikes plus the
// seeds (skipped with -short).
func BenchmarkAsk(b *testing.B) {
	questions := benchQuestions(b)
	b.Run("seeds", func(b *testing.B) {
		f := benchFixtureFor(b, "ask-seeds", func(f *benchFixture) error {
			names, texts := benchSeedTexts(b)
			return benchIngestEngine(f, names, texts)
		})
		benchAsk(b, f.eng, questions)
	})
	b.Run("lookalikes-2000", func(b *testing.B) {
		if testing.Short() {
			b.Skip("slow fixture under -short")
		}
		f := benchLookalikes2000(b)
		b.ReportMetric(float64(f.chunks), "chunks")
		benchAsk(b, f.eng, questions)
	})
}

// benchLookalikes2000 is the seeds and 2,000 look-alikes, ingested once
// per process.
func benchLookalikes2000(b *testing.B) *benchFixture {
	return benchFixtureFor(b, "ask-lookalikes-2000", func(f *benchFixture) error {
		names, texts := benchSeedTexts(b)
		for _, r := range lookalike.Generate(texts, 2000, rand.New(rand.NewPCG(1, 2))) {
			names, texts = append(names, r.Name), append(texts, r.Text)
		}
		return benchIngestEngine(f, names, texts)
	})
}

// benchAggregateQuestions total and rank a figure across every town.
var benchAggregateQuestions = []string{
	"所有镇一共调解了多少件矛盾纠纷？",
	"哪个镇调解的矛盾纠纷最多？",
	"各镇一共受理了多少信访件？",
	"哪个镇的调解成功率最高？",
}

// BenchmarkAggregate times totals and rankings over 2,000 look-alikes
// plus the seeds (skipped with -short), in process: from the fact table
// (the engine's path), by reading every report's sentences (the path
// before it), and a raw chromem-go scan of as many random vectors, the
// baseline, in the same run.
func BenchmarkAggregate(b *testing.B) {
	if testing.Short() {
		b.Skip("slow fixture under -short")
	}
	f := benchLookalikes2000(b)
	b.Run("fact-table", func(b *testing.B) {
		b.ReportMetric(float64(f.chunks), "chunks")
		benchAsk(b, f.eng, benchAggregateQuestions)
	})
	b.Run("sentences", func(b *testing.B) {
		ctx := context.Background()
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			start := time.Now()
			if _, err := f.eng.SentenceFigures(ctx, benchAggregateQuestions[i%len(benchAggregateQuestions)]); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		b.StopTimer()
		benchReportPercentiles(b, lat)
	})
	b.Run("chromem-raw", func(b *testing.B) {
		ctx := context.Background()
		noEmbed := func(context.Context, string) ([]float32, error) { return nil, errors.New("vectors are given") }
		col, err := chromem.NewDB().CreateCollection("raw", nil, noEmbed)
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(f.chunks), 5))
		for i := 0; i < f.chunks; i++ {
			if err := col.AddDocument(ctx, chromem.Document{ID: strconv.Itoa(i), Embedding: lookalike.UnitVector(rng, rag.DefaultDim)}); err != nil {
				b.Fatal(err)
			}
		}
		q := lookalike.UnitVector(rng, rag.DefaultDim)
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			start := time.Now()
			if _, err := col.QueryEmbedding(ctx, q, benchK, nil, nil); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		b.StopTimer()
		benchReportPercentiles(b, lat)
	})
}

// benchSizesFor returns the chunk counts to run: 100k only without -short.
func benchSizesFor() []int {
	if testing.Short() {
		return benchSizes[:2]
	}
	return benchSizes
}

func benchSizeName(n int) string {
	if n%1000 == 0 {
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// benchVocabulary makes synthetic chunk text read like a report to the
// keyword index.
var benchVocabulary = strings.Fields("法治 政府 建设 矛盾 纠纷 调解 普法 宣传 行政 执法 信访 案件 法律 顾问 培训 干部 学法 村居 社区 依法 决策 审查 公开 信息 服务 群众 安全 稳定 排查 化解 整改 监督 考核 制度 落实 工作 开展 推进 加强 完善")

func benchChunkText(rng *rand.Rand) string {
	var sb strings.Builder
	for i := 0; i < 40; i++ {
		sb.WriteString(benchVocabulary[rng.IntN(len(benchVocabulary))])
		if i%8 == 7 {
			sb.WriteString(strconv.Itoa(rng.IntN(500)) + "件。")
		}
	}
	return sb.String()
}

// benchSynthetic fills a store with n synthetic chunks directly through
// Put: reports of benchChunksPerReport chunks, each of its own town (as
// look-alikes are), with random unit vectors of the default dimension.
func benchSynthetic(b *testing.B, n int) *benchFixture {
	return benchFixtureFor(b, "synthetic-"+benchSizeName(n), func(f *benchFixture) error {
		ctx := context.Background()
		emb := rag.HashEmbedder(rag.DefaultDim)
		st, err := sqlitestore.Open(ctx, f.dir, emb)
		if err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(uint64(n), 7))
		names := lookalike.Names((n+benchChunksPerReport-1)/benchChunksPerReport, rng)
		for r, name := range names {
			town := name + "镇"
			year := 2015 + r%10
			rep := ingest.Report{
				ID: fmt.Sprintf("synthetic-%06d", r), Source: fmt.Sprintf("syn_%06d.txt", r),
				Title: fmt.Sprintf("%s%d年度法治政府建设工作报告", town, year), Town: town, Year: year,
				IngestedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
			}
			m := min(benchChunksPerReport, n-r*benchChunksPerReport)
			chunks := make([]rag.StoredChunk, m)
			for i := range chunks {
				chunks[i] = rag.StoredChunk{
					Chunk:     ingest.Chunk{ReportID: rep.ID, Seq: i, Section: "一、主要工作", Text: benchChunkText(rng)},
					Embedding: lookalike.UnitVector(rng, emb.Dim),
				}
			}
			if _, err := st.Put(ctx, rep, chunks, nil); err != nil {
				st.Close()
				return err
			}
			f.towns = append(f.towns, town)
			f.chunks += m
		}
		// Put leaves the vector index to the next refresh, as ingest does.
		if err := st.Refresh(ctx); err != nil {
			st.Close()
			return err
		}
		f.store = st
		benchKeep(st.Close)
		return nil
	})
}

// BenchmarkVectorSearch queries the store's vector index at 1k, 10k and
// 100k chunks (100k skipped with -short), over every town and filtered
// to one town.
func BenchmarkVectorSearch(b *testing.B) {
	for _, n := range benchSizesFor() {
		b.Run(benchSizeName(n), func(b *testing.B) {
			f := benchSynthetic(b, n)
			for _, filter := range []string{"all", "town"} {
				b.Run(filter, func(b *testing.B) {
					ctx := context.Background()
					rng := rand.New(rand.NewPCG(3, 4))
					queries := make([][]float32, 64)
					for i := range queries {
						queries[i] = lookalike.UnitVector(rng, rag.DefaultDim)
					}
					lat := make([]time.Duration, 0, b.N)
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						var sc rag.Scope
						if filter == "town" {
							sc.Towns = []string{f.towns[i%len(f.towns)]}
						}
						start := time.Now()
						hits, err := f.store.Vector(ctx, queries[i%len(queries)], sc, benchK)
						if err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Since(start))
						if len(hits) == 0 {
							b.Fatal("no hits")
						}
					}
					b.StopTimer()
					benchReportPercentiles(b, lat)
				})
			}
		})
	}
}

var (
	benchChromemMu   sync.Mutex
	benchChromemCols = map[int]*chromem.Collection{}
)

// BenchmarkChromemRaw is the floor for BenchmarkVectorSearch/all: one
// chromem-go collection of as many random vectors of the same dimension,
// queried without a filter.
func BenchmarkChromemRaw(b *testing.B) {
	for _, n := range benchSizesFor() {
		b.Run(benchSizeName(n), func(b *testing.B) {
			ctx := context.Background()
			benchChromemMu.Lock()
			col := benchChromemCols[n]
			if col == nil {
				b.StopTimer()
				noEmbed := func(context.Context, string) ([]float32, error) { return nil, errors.New("vectors are given") }
				var err error
				col, err = chromem.NewDB().CreateCollection("raw", nil, noEmbed)
				if err != nil {
					b.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(uint64(n), 5))
				for i := 0; i < n; i++ {
					doc := chromem.Document{ID: strconv.Itoa(i), Embedding: lookalike.UnitVector(rng, rag.DefaultDim), Metadata: map[string]string{"year": "2021"}}
					if err := col.AddDocument(ctx, doc); err != nil {
						b.Fatal(err)
					}
				}
				benchChromemCols[n] = col
				b.StartTimer()
			}
			benchChromemMu.Unlock()
			rng := rand.New(rand.NewPCG(3, 4))
			queries := make([][]float32, 64)
			for i := range queries {
				queries[i] = lookalike.UnitVector(rng, rag.DefaultDim)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if _, err := col.QueryEmbedding(ctx, queries[i%len(queries)], benchK, nil, nil); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			benchReportPercentiles(b, lat)
		})
	}
}

// BenchmarkColdStart opens a filled store and an engine on it, as every
// fazhi command does at start: 10k chunks, and 100k without -short
// (target < 3 s).
func BenchmarkColdStart(b *testing.B) {
	for _, n := range benchSizesFor()[1:] {
		b.Run(benchSizeName(n), func(b *testing.B) {
			f := benchSynthetic(b, n)
			ctx := context.Background()
			emb := rag.HashEmbedder(rag.DefaultDim)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				st, err := sqlitestore.Open(ctx, f.dir, emb)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := rag.NewEngine(ctx, st, emb); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				st.Close()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkPrepare is the CPU of ingesting one seed report: clean,
// detect metadata, chunk, embed with the default embedder, extract
// facts. It writes nothing.
func BenchmarkPrepare(b *testing.B) {
	names, texts := benchSeedTexts(b)
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	st, err := sqlitestore.Open(ctx, b.TempDir(), emb)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	eng, err := rag.NewEngine(ctx, st, emb)
	if err != nil {
		b.Fatal(err)
	}
	var bytes int64
	for _, t := range texts {
		bytes += int64(len(t))
	}
	b.SetBytes(bytes / int64(len(texts)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(texts)
		if _, _, _, err := eng.Prepare(ctx, names[k], "id", texts[k]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPut is the store's part of ingesting one seed report: one
// transaction with the report, its chunks (and their keyword index rows)
// and facts. Each iteration stores a report under a new ID and source.
func BenchmarkPut(b *testing.B) {
	names, texts := benchSeedTexts(b)
	ctx := context.Background()
	emb := rag.HashEmbedder(rag.DefaultDim)
	st, err := sqlitestore.Open(ctx, b.TempDir(), emb)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	eng, err := rag.NewEngine(ctx, st, emb)
	if err != nil {
		b.Fatal(err)
	}
	type prep struct {
		rep    ingest.Report
		chunks []rag.StoredChunk
		facts  []ingest.Fact
	}
	var preps []prep
	for k := range texts {
		rep, chunks, facts, err := eng.Prepare(ctx, names[k], "id", texts[k])
		if err != nil {
			b.Fatal(err)
		}
		preps = append(preps, prep{rep, chunks, facts})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := preps[i%len(preps)]
		p.rep.ID, p.rep.Source = fmt.Sprintf("put-%d", i), fmt.Sprintf("put_%d.txt", i)
		if _, err := st.Put(ctx, p.rep, p.chunks, p.facts); err != nil {
			b.Fatal(err)
		}
	}
}
