package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/philippgille/chromem-go"

	"fazhi/eval"
	"fazhi/httpapi"
	"fazhi/ingest"
	"fazhi/internal/lookalike"
	"fazhi/rag"
	"fazhi/sqlitestore"
)

// Targets the bench command checks its figures against (issue 15): the
// ratios are to a raw chromem-go full scan of as many vectors, measured
// in the same run.
const (
	targetIngestPerSec  = 200  // reports per second
	targetTotalP95Ratio = 1.0  // totals and rankings across every town, p95
	targetTotalFirst    = 3.0  // the same, first call after start
	targetUnscopedRatio = 0.5  // questions naming no town, p50
	targetTownRatio     = 0.05 // questions naming a town, p50
	targetColdStart     = 1500 // ms, at 100k chunks
	targetChunks        = 100_000
	benchK              = 24 // results per vector query, as the engine's retrieval asks for
)

// benchResult is what `fazhi bench --json` prints.
type benchResult struct {
	Seed        uint64  `json:"seed"`
	Data        string  `json:"data"`
	EvalFile    string  `json:"eval_file"`
	Generated   int     `json:"generated_reports"`
	SeedReports int     `json:"seed_reports"`
	GenerateMS  float64 `json:"generate_ms"`

	IngestFiles     int     `json:"ingest_files"`
	IngestFailed    int     `json:"ingest_failed"`
	IngestMS        float64 `json:"ingest_ms"`
	IngestPerSec    float64 `json:"ingest_reports_per_s"`
	IngestWorkers   int     `json:"ingest_workers"`
	IngestBatch     int     `json:"ingest_batch"`
	IngestCPUMS     float64 `json:"ingest_cpu_ms_per_report,omitempty"` // user+system CPU of the process per report stored`
	Reports         int     `json:"reports"`
	Chunks          int     `json:"chunks"`
	Facts           int     `json:"facts"`
	Dim             int     `json:"dim"`
	Embedder        string  `json:"embedder"`
	DBBytes         int64   `json:"db_bytes"`
	ColdStartMS     float64 `json:"cold_start_ms"`
	HeapAllocBytes  uint64  `json:"heap_alloc_bytes"`
	FirstAskMS      float64 `json:"first_ask_ms"`
	WarmMS          float64 `json:"warm_ms"` // Engine.Warm, in the background from the start of the server
	Questions       int     `json:"questions"`
	Rounds          int     `json:"rounds"`
	AskP50MS        float64 `json:"ask_p50_ms"`
	AskP95MS        float64 `json:"ask_p95_ms"`
	AskMaxMS        float64 `json:"ask_max_ms"`
	Correct         int     `json:"correct"`
	Accuracy        float64 `json:"accuracy"`
	HTTPP50MS       float64 `json:"http_ask_p50_ms"`
	HTTPP95MS       float64 `json:"http_ask_p95_ms"`
	HTTPCorrect     int     `json:"http_correct"`
	ChromemP50MS    float64 `json:"chromem_p50_ms"`
	ChromemP95MS    float64 `json:"chromem_p95_ms"`
	ChromemVectors  int     `json:"chromem_vectors"`
	AskRatio        float64 `json:"ask_to_chromem_p50"`
	HTTPRatio       float64 `json:"http_ask_to_chromem_p50"`
	SlowestQuestion string  `json:"slowest_question"`

	// Totals and rankings across every town, over HTTP: the first call
	// after start (the first request the server gets after the store is
	// opened), the slowest first call of any of them, and the p50 and
	// p95 of the later rounds.
	Totals          []questionTiming `json:"totals,omitempty"`
	TotalFirstMS    float64          `json:"total_first_ms,omitempty"`
	TotalFirstMaxMS float64          `json:"total_first_max_ms,omitempty"`
	TotalP50MS      float64          `json:"total_p50_ms,omitempty"`
	TotalP95MS      float64          `json:"total_p95_ms,omitempty"`
	TotalFirstRatio float64          `json:"total_first_max_to_chromem_p50,omitempty"`
	TotalP95Ratio   float64          `json:"total_p95_to_chromem_p50,omitempty"`

	// Other questions naming no town, over HTTP, after their first call.
	Unscoped      []questionTiming `json:"unscoped,omitempty"`
	UnscopedP50MS float64          `json:"unscoped_p50_ms,omitempty"`
	UnscopedP95MS float64          `json:"unscoped_p95_ms,omitempty"`
	UnscopedRatio float64          `json:"unscoped_p50_to_chromem_p50,omitempty"`
}

// questionTiming is one question's first call and the slowest of its
// later rounds.
type questionTiming struct {
	Question string  `json:"question"`
	FirstMS  float64 `json:"first_ms"`
	MaxMS    float64 `json:"max_ms"`
}

// totalQuestions ask a total, a ranking or each town's figure across
// every stored town: what the fact table answers (issue 15).
var totalQuestions = []string{
	"所有镇2021年一共调处了多少矛盾纠纷？",
	"所有镇一共调解了多少件矛盾纠纷？",
	"哪个镇调解的矛盾纠纷最多？",
	"各镇聘请了多少名法律顾问？",
	"Which town mediated the most disputes?",
}

// unscopedQuestions name no town and ask no total, so every stored
// report is in scope of retrieval: they time what scales with the store
// (the whole vector index, BM25 over every chunk), which town questions
// do not.
var unscopedQuestions = []string{
	"法律顾问是谁？",
	"共排查调解了多少件矛盾纠纷？",
	"哪些镇开展了宪法宣传周活动？",
	"2021年开展了哪些普法活动？",
	"How many legal advisers were hired?",
}

func runBench(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	// The bench never touches a store or a model named only in the
	// environment: it writes into a temporary directory and answers
	// offline unless the flags say otherwise.
	benchEnv := func(k string) string {
		switch k {
		case "FAZHI_DATA", "FAZHI_STORE", "FAZHI_LLM":
			return ""
		}
		return env(k)
	}
	var c config
	fs := newFlagSet("bench", stderr)
	commonFlags(fs, &c, benchEnv)
	reports := fs.Int("reports", 2000, "look-alike reports to generate")
	chunksTarget := fs.Int("chunks-target", 0, "generate enough look-alikes for about this many chunks (overrides --reports)")
	seed := fs.Uint64("seed", 1, "random seed of the generator and of the synthetic vectors")
	seedsDir := fs.String("seeds", filepath.Join("testdata", "reports"), "directory of seed reports (.txt)")
	evalFile := fs.String("eval", "", "questions (JSONL, as for fazhi eval); default testdata/eval/seed-qa.jsonl, else testdata/eval/fazhi-qa.jsonl")
	rounds := fs.Int("rounds", 3, "times each question is asked for the latency figures")
	workers := fs.Int("workers", 2, "reports parsed and embedded at once (as fazhi ingest)")
	batch := fs.Int("batch", defaultIngestBatch, "most reports stored in one transaction (as fazhi ingest)")
	asJSON := fs.Bool("json", false, "print the figures as JSON")
	unscoped := fs.Bool("unscoped", true, "also time totals and rankings across every town and other questions naming no town, over HTTP")
	cpuProfile := fs.String("cpuprofile", "", "write CPU profiles of the ingest and of the asks to PREFIX.ingest.pprof and PREFIX.ask.pprof")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("bench: unexpected argument %q", pos[0])
	}
	if c.Store != "" {
		return errors.New("bench: runs on the embedded store only; drop --store")
	}
	if *reports < 0 || *chunksTarget < 0 || *rounds < 1 || *rounds > 100 || *batch < 1 {
		return errors.New("bench: --reports and --chunks-target must not be negative, --rounds must be 1..100, --batch at least 1")
	}
	dataSet := false
	fs.Visit(func(f *flag.Flag) { dataSet = dataSet || f.Name == "data" })

	cases, evalPath, err := benchCases(*evalFile)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	seedPaths, seedTexts, err := readSeeds(*seedsDir)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}

	work, err := os.MkdirTemp("", "fazhi-bench-")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(work)
	if !dataSet {
		c.Data = filepath.Join(work, "data")
	}
	res := benchResult{Seed: *seed, Data: c.Data, EvalFile: evalPath, SeedReports: len(seedPaths), Rounds: *rounds, IngestWorkers: *workers, IngestBatch: *batch}

	n := *reports
	if *chunksTarget > 0 {
		n = reportsForChunks(seedTexts, *chunksTarget)
	}
	start := time.Now()
	gen := lookalike.Generate(seedTexts, n, rand.New(rand.NewPCG(*seed, *seed^0x5eed)))
	if n > 0 && len(gen) == 0 {
		return fmt.Errorf("bench: no seed in %s has a town and year to generate from", *seedsDir)
	}
	repDir := filepath.Join(work, "reports")
	if err := writeReports(repDir, gen, seedPaths, seedTexts); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	res.Generated, res.GenerateMS = len(gen), ms(time.Since(start))

	// Ingest through the CLI's own path.
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	files, walkErrs := collectFiles([]string{repDir})
	if len(walkErrs) > 0 {
		return fmt.Errorf("bench: %w", errors.Join(walkErrs...))
	}
	eng, st, err := c.open(ctx, logger)
	if err != nil {
		return err
	}
	stopProfile, err := startProfile(*cpuProfile, "ingest")
	if err != nil {
		st.Close()
		return fmt.Errorf("bench: %w", err)
	}
	defer stopProfile()
	start, cpu := time.Now(), processCPU()
	sum := ingestFiles(ctx, eng, files, *workers, *batch, newProgress(io.Discard, len(files), true), stderr)
	d, cpu := time.Since(start), processCPU()-cpu
	stopProfile()
	st.Close()
	if err := ctx.Err(); err != nil {
		return err
	}
	res.IngestFiles, res.IngestFailed, res.IngestMS = len(files), sum.failed, ms(d)
	res.IngestPerSec = float64(len(files)-sum.failed) / d.Seconds()
	if stored := len(files) - sum.failed; stored > 0 && cpu > 0 {
		res.IngestCPUMS = ms(cpu) / float64(stored)
	}

	// Cold start: open the filled store and the engine as every command does.
	runtime.GC()
	start = time.Now()
	eng, st, err = c.open(ctx, logger)
	if err != nil {
		return err
	}
	res.ColdStartMS = ms(time.Since(start))
	defer st.Close()
	runtime.GC()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	res.HeapAllocBytes = mem.HeapAlloc
	stats, err := eng.Stats(ctx)
	if err != nil {
		return err
	}
	res.Reports, res.Chunks, res.Facts, res.Dim, res.Embedder = stats.Reports, stats.Chunks, stats.Facts, stats.Dim, stats.Embedder
	if fi, err := os.Stat(filepath.Join(c.Data, sqlitestore.DBFile)); err == nil {
		res.DBBytes = fi.Size()
	}

	// The server answers over HTTP from here on; the first request it
	// gets is the first total, the first call after start.
	srv, err := startBenchServer(eng)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer srv.stop()
	// The engine warms in the background as serve has it do once it
	// listens: the first calls below are timed while it does, the later
	// rounds once it is done.
	var warmTook time.Duration
	warmed := make(chan struct{})
	go func() {
		defer close(warmed)
		start := time.Now()
		if err := eng.Warm(ctx); err != nil {
			logger.Warn("warming the indexes failed", "err", err)
		}
		warmTook = time.Since(start)
	}()
	defer func() { <-warmed }() // before the store closes
	stopProfile, err = startProfile(*cpuProfile, "ask")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer stopProfile()
	if *unscoped {
		// First calls while the engine warms (what a question right
		// after start waits), then the later rounds once it has: the
		// latency questions meet from then on.
		res.Totals, err = srv.first(ctx, totalQuestions)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		res.TotalFirstMS = res.Totals[0].FirstMS
		for _, t := range res.Totals {
			res.TotalFirstMaxMS = max(res.TotalFirstMaxMS, t.FirstMS)
		}
		if res.Unscoped, err = srv.first(ctx, unscopedQuestions); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		<-warmed
		warm, err := srv.rounds(ctx, res.Totals, *rounds)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		res.TotalP50MS, res.TotalP95MS = percentileMS(warm, 0.5), percentileMS(warm, 0.95)
		if warm, err = srv.rounds(ctx, res.Unscoped, *rounds); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		res.UnscopedP50MS, res.UnscopedP95MS = percentileMS(warm, 0.5), percentileMS(warm, 0.95)
	}

	<-warmed
	res.WarmMS = ms(warmTook)

	// Questions naming their town, in process.
	res.Questions = len(cases)
	if len(cases) > 0 {
		start = time.Now()
		if _, err := eng.Ask(ctx, rag.Question{Text: cases[0].Question}); err != nil {
			return fmt.Errorf("bench: ask: %w", err)
		}
		res.FirstAskMS = ms(time.Since(start))
	}
	var lat []time.Duration
	slowest := time.Duration(0)
	for r := 0; r < *rounds; r++ {
		for _, tc := range cases {
			if err := ctx.Err(); err != nil {
				return err
			}
			start := time.Now()
			a, err := eng.Ask(ctx, rag.Question{Text: tc.Question})
			d := time.Since(start)
			if err != nil {
				return fmt.Errorf("bench: ask %q: %w", tc.Question, err)
			}
			lat = append(lat, d)
			if d > slowest {
				slowest, res.SlowestQuestion = d, tc.Question
			}
			if r == 0 {
				if eval.Judge(tc, a).OK {
					res.Correct++
				}
			}
		}
	}
	res.AskP50MS, res.AskP95MS, res.AskMaxMS = percentileMS(lat, 0.5), percentileMS(lat, 0.95), percentileMS(lat, 1)
	if len(cases) > 0 {
		res.Accuracy = float64(res.Correct) / float64(len(cases))
	}

	// The same questions over HTTP.
	httpLat, httpOK, err := srv.cases(ctx, cases, *rounds)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	stopProfile()
	res.HTTPP50MS, res.HTTPP95MS, res.HTTPCorrect = percentileMS(httpLat, 0.5), percentileMS(httpLat, 0.95), httpOK

	// Raw chromem-go: one collection of as many random vectors, no filter.
	if res.Chunks > 0 && res.Dim > 0 {
		chrom, err := benchChromem(ctx, res.Chunks, res.Dim, max(1, len(lat)), *seed)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		res.ChromemVectors = res.Chunks
		res.ChromemP50MS, res.ChromemP95MS = percentileMS(chrom, 0.5), percentileMS(chrom, 0.95)
		if c := res.ChromemP50MS; c > 0 {
			res.AskRatio, res.HTTPRatio = res.AskP50MS/c, res.HTTPP50MS/c
			res.TotalFirstRatio, res.TotalP95Ratio = res.TotalFirstMaxMS/c, res.TotalP95MS/c
			res.UnscopedRatio = res.UnscopedP50MS / c
		}
	}

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printBench(stdout, res)
	return nil
}

// startProfile starts a CPU profile to prefix.phase.pprof; with an empty
// prefix it does nothing. The returned function stops it.
func startProfile(prefix, phase string) (func(), error) {
	if prefix == "" {
		return func() {}, nil
	}
	f, err := os.Create(prefix + "." + phase + ".pprof")
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			pprof.StopCPUProfile()
			f.Close()
		})
	}, nil
}

// benchCases reads the question file, or the first default that exists.
func benchCases(path string) ([]eval.Case, string, error) {
	if path == "" {
		for _, p := range []string{filepath.Join("testdata", "eval", "seed-qa.jsonl"), filepath.Join("testdata", "eval", "fazhi-qa.jsonl")} {
			if _, err := os.Stat(p); err == nil {
				path = p
				break
			}
		}
		if path == "" {
			return nil, "", errors.New("no question file: give --eval FILE.jsonl")
		}
	}
	cases, err := eval.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	return cases, path, nil
}

// readSeeds reads the .txt reports in dir.
func readSeeds(dir string) (paths, texts []string, err error) {
	paths, err = filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, nil, err
	}
	if len(paths) == 0 {
		return nil, nil, fmt.Errorf("no seed reports (*.txt) in %s", dir)
	}
	sort.Strings(paths)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		texts = append(texts, string(b))
	}
	return paths, texts, nil
}

// reportsForChunks is how many look-alikes make about target chunks with
// the seeds, at the seeds' average chunk count.
func reportsForChunks(seeds []string, target int) int {
	total := 0
	for _, s := range seeds {
		total += len(ingest.ChunkText(ingest.Clean(s), ingest.DefaultChunkOptions()))
	}
	if total == 0 {
		return 0
	}
	avg := float64(total) / float64(len(seeds))
	return max(0, int(math.Ceil(float64(target-total)/avg)))
}

// writeReports writes the look-alikes and copies of the seeds into dir.
func writeReports(dir string, gen []lookalike.Report, seedPaths, seedTexts []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, r := range gen {
		if err := os.WriteFile(filepath.Join(dir, r.Name), []byte(r.Text), 0o644); err != nil {
			return err
		}
	}
	for i, p := range seedPaths {
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), []byte(seedTexts[i]), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// benchServer is the real HTTP API of an engine on a loopback port.
type benchServer struct {
	url    string
	client *http.Client
	stop   func()
}

func startBenchServer(eng *rag.Engine) (*benchServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := httpapi.NewHTTPServer("", httpapi.New(eng, httpapi.Config{RatePerMinute: -1}, nil))
	go srv.Serve(ln)
	return &benchServer{
		url:    "http://" + ln.Addr().String() + "/v1/ask",
		client: &http.Client{Timeout: 10 * time.Minute},
		stop: func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(sctx)
		},
	}, nil
}

// ask sends one question through POST /v1/ask and times it.
func (b *benchServer) ask(ctx context.Context, question string) (rag.Answer, time.Duration, error) {
	body, err := json.Marshal(map[string]string{"question": question})
	if err != nil {
		return rag.Answer{}, 0, err
	}
	start := time.Now()
	a, err := postAsk(ctx, b.client, b.url, body)
	d := time.Since(start)
	if err != nil {
		return rag.Answer{}, 0, fmt.Errorf("POST /v1/ask %q: %w", question, err)
	}
	return a, d, nil
}

// first asks each question once: its first call.
func (b *benchServer) first(ctx context.Context, questions []string) ([]questionTiming, error) {
	out := make([]questionTiming, len(questions))
	for i, q := range questions {
		_, d, err := b.ask(ctx, q)
		if err != nil {
			return nil, err
		}
		out[i] = questionTiming{Question: q, FirstMS: ms(d)}
	}
	return out, nil
}

// rounds asks each question of timings rounds more times, noting the
// slowest in its MaxMS, and returns the latencies.
func (b *benchServer) rounds(ctx context.Context, timings []questionTiming, rounds int) ([]time.Duration, error) {
	var warm []time.Duration
	for range rounds {
		for i := range timings {
			_, d, err := b.ask(ctx, timings[i].Question)
			if err != nil {
				return nil, err
			}
			timings[i].MaxMS = max(timings[i].MaxMS, ms(d))
			warm = append(warm, d)
		}
	}
	return warm, nil
}

// cases asks every question rounds times and returns the latencies and
// how many answers of the first round were right.
func (b *benchServer) cases(ctx context.Context, cases []eval.Case, rounds int) ([]time.Duration, int, error) {
	var lat []time.Duration
	correct := 0
	for r := 0; r < rounds; r++ {
		for _, tc := range cases {
			a, d, err := b.ask(ctx, tc.Question)
			if err != nil {
				return nil, 0, err
			}
			lat = append(lat, d)
			if r == 0 && eval.Judge(tc, a).OK {
				correct++
			}
		}
	}
	return lat, correct, nil
}

func postAsk(ctx context.Context, client *http.Client, url string, body []byte) (rag.Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return rag.Answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return rag.Answer{}, err
	}
	defer resp.Body.Close()
	// A total across thousands of towns carries a row and a bar for each:
	// several megabytes.
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return rag.Answer{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return rag.Answer{}, fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(data)))
	}
	var a rag.Answer
	if err := json.Unmarshal(data, &a); err != nil {
		return rag.Answer{}, err
	}
	return a, nil
}

// benchChromem times queries of n random unit vectors of dimension dim
// in one fresh chromem-go collection, without a filter: the floor a
// full scan of the same index costs.
func benchChromem(ctx context.Context, n, dim, queries int, seed uint64) ([]time.Duration, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0xc4c4))
	noEmbed := func(context.Context, string) ([]float32, error) {
		return nil, errors.New("no embedding: vectors are given")
	}
	col, err := chromem.NewDB().CreateCollection("bench", nil, noEmbed)
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		doc := chromem.Document{ID: strconv.Itoa(i), Embedding: lookalike.UnitVector(rng, dim), Metadata: map[string]string{"year": "2021"}}
		if err := col.AddDocument(ctx, doc); err != nil {
			return nil, err
		}
	}
	k := min(benchK, n)
	out := make([]time.Duration, 0, queries)
	for i := 0; i < queries; i++ {
		q := lookalike.UnitVector(rng, dim)
		start := time.Now()
		if _, err := col.QueryEmbedding(ctx, q, k, nil, nil); err != nil {
			return nil, err
		}
		out = append(out, time.Since(start))
	}
	return out, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentileMS is the nearest-rank p-th percentile of lat, in ms.
func percentileMS(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return ms(s[min(max(i, 0), len(s)-1)])
}

func printBench(w io.Writer, r benchResult) {
	check := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "MISS"
	}
	ratio := func(v float64) string { return fmt.Sprintf("%.3fx", v) }
	fmt.Fprintf(w, "fazhi bench  seed %d  data %s\n\n", r.Seed, r.Data)
	fmt.Fprintf(w, "%-24s %d look-alikes + %d seeds in %.0f ms\n", "generate", r.Generated, r.SeedReports, r.GenerateMS)
	fmt.Fprintf(w, "%-24s %d files in %.1f s = %.0f reports/s (%d workers, up to %d reports per transaction, %d failed)\n", "ingest", r.IngestFiles, r.IngestMS/1000, r.IngestPerSec, r.IngestWorkers, r.IngestBatch, r.IngestFailed)
	if r.IngestCPUMS > 0 {
		fmt.Fprintf(w, "%-24s %.2f ms of CPU per report (user+system, all threads; load from other processes inflates it less than wall time)\n", "", r.IngestCPUMS)
	}
	fmt.Fprintf(w, "%-24s %d reports, %d chunks, %d facts, dim %d (%s), %.0f MB on disk\n", "store", r.Reports, r.Chunks, r.Facts, r.Dim, r.Embedder, float64(r.DBBytes)/1e6)
	fmt.Fprintf(w, "%-24s %.0f ms (open store + engine); warming after it %.0f ms in the background\n", "cold start", r.ColdStartMS, r.WarmMS)
	fmt.Fprintf(w, "%-24s %.0f MiB\n", "heap after load", float64(r.HeapAllocBytes)/(1<<20))
	fmt.Fprintf(w, "%-24s p50 %.2f ms  p95 %.2f ms  (%d vectors x %d, k=%d, no filter): the unit of the ratios\n", "chromem raw scan", r.ChromemP50MS, r.ChromemP95MS, r.ChromemVectors, r.Dim, benchK)
	if len(r.Totals) > 0 {
		fmt.Fprintf(w, "%-24s p50 %.1f ms  p95 %.1f ms (%s)  (%d questions x %d once warmed, HTTP)\n", "totals, every town", r.TotalP50MS, r.TotalP95MS, ratio(r.TotalP95Ratio), len(r.Totals), r.Rounds)
		fmt.Fprintf(w, "%-24s first call after start %.1f ms; slowest first call %.1f ms (%s)\n", "", r.TotalFirstMS, r.TotalFirstMaxMS, ratio(r.TotalFirstRatio))
		printTimings(w, r.Totals)
	}
	if len(r.Unscoped) > 0 {
		fmt.Fprintf(w, "%-24s p50 %.1f ms (%s)  p95 %.1f ms  (%d questions x %d once warmed, HTTP)\n", "no town named", r.UnscopedP50MS, ratio(r.UnscopedRatio), r.UnscopedP95MS, len(r.Unscoped), r.Rounds)
		printTimings(w, r.Unscoped)
	}
	fmt.Fprintf(w, "%-24s p50 %.2f ms (%s)  p95 %.2f ms  (%d questions x %d, %s)\n", "town named, HTTP", r.HTTPP50MS, ratio(r.HTTPRatio), r.HTTPP95MS, r.Questions, r.Rounds, r.EvalFile)
	fmt.Fprintf(w, "%-24s p50 %.2f ms (%s)  p95 %.2f ms  max %.1f ms  first %.1f ms\n", "town named, in process", r.AskP50MS, ratio(r.AskRatio), r.AskP95MS, r.AskMaxMS, r.FirstAskMS)
	if r.Questions > 0 {
		fmt.Fprintf(w, "%-24s %d/%d (%.1f%%) in process, %d/%d over HTTP\n", "accuracy", r.Correct, r.Questions, 100*r.Accuracy, r.HTTPCorrect, r.Questions)
		fmt.Fprintf(w, "%-24s %s\n", "slowest town question", r.SlowestQuestion)
	}
	at := ""
	if r.Chunks < targetChunks*9/10 || r.Chunks > targetChunks*11/10 {
		at = fmt.Sprintf(" (at %d chunks; the target is for %dk)", r.Chunks, targetChunks/1000)
	}
	fmt.Fprintf(w, "\ntargets (issue 15; ratios to the raw chromem-go scan above)\n")
	if len(r.Totals) > 0 {
		fmt.Fprintf(w, "  %-4s totals and rankings p95 <= %.0fx: %s\n", check(r.TotalP95Ratio <= targetTotalP95Ratio), targetTotalP95Ratio, ratio(r.TotalP95Ratio))
		fmt.Fprintf(w, "  %-4s totals and rankings first call <= %.0fx: %s\n", check(r.TotalFirstRatio <= targetTotalFirst), targetTotalFirst, ratio(r.TotalFirstRatio))
	}
	if len(r.Unscoped) > 0 {
		fmt.Fprintf(w, "  %-4s no town named p50 <= %.1fx: %s\n", check(r.UnscopedRatio <= targetUnscopedRatio), targetUnscopedRatio, ratio(r.UnscopedRatio))
	}
	fmt.Fprintf(w, "  %-4s town named p50 <= %.2fx: %s\n", check(r.HTTPRatio <= targetTownRatio), targetTownRatio, ratio(r.HTTPRatio))
	fmt.Fprintf(w, "  %-4s ingest >= %d reports/s: %.0f\n", check(r.IngestPerSec >= targetIngestPerSec), targetIngestPerSec, r.IngestPerSec)
	fmt.Fprintf(w, "  %-4s cold start < %d ms: %.0f ms%s\n", check(r.ColdStartMS < targetColdStart), targetColdStart, r.ColdStartMS, at)
	fmt.Fprintf(w, "  %-4s heap after load: %.0f MiB\n", "--", float64(r.HeapAllocBytes)/(1<<20))
}

// printTimings lists each question's first call and slowest later call.
func printTimings(w io.Writer, ts []questionTiming) {
	for _, t := range ts {
		fmt.Fprintf(w, "%-24s   first %8.1f ms  warmed at most %8.1f ms  %s\n", "", t.FirstMS, t.MaxMS, t.Question)
	}
}
