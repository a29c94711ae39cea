package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"fazhi/ingest"
	"fazhi/rag"
	"fazhi/sqlitestore"
)

// config is everything the flags and environment say, with defaults.
type config struct {
	Data       string // embedded store directory
	Store      string // postgres://... for the scale-out store
	Embedder   string // "hash" (default), "ollama:MODEL", "openai:MODEL"
	EmbedURL   string
	EmbedKey   string
	LLM        string // "", "ollama:MODEL", "openai:MODEL"
	LLMURL     string
	LLMKey     string
	MaxFileMB  int
	CacheMB    int
	Workers    int
	LLMLimit   int
	LLMTimeout time.Duration // each LLM or embedder call, from its start
	envErr     error         // a malformed environment variable, reported by open
	httpClient *http.Client
}

// defaultMaxFileMB is --max-file-mb unless set; deploy/nginx/fazhi.conf
// lets uploads this large (and the multipart envelope) through.
const defaultMaxFileMB = 50

// defaultLLMTimeout bounds each model call unless --llm-timeout says otherwise.
const defaultLLMTimeout = 60 * time.Second

// defaultData is the data directory when neither --data nor FAZHI_DATA
// says otherwise.
const defaultData = "fazhi-data"

func envOr(env func(string) string, key, def string) string {
	if v := env(key); v != "" {
		return v
	}
	return def
}

// commonFlags registers the flags every subcommand takes.
func commonFlags(fs *flag.FlagSet, c *config, env func(string) string) {
	fs.StringVar(&c.Data, "data", envOr(env, "FAZHI_DATA", defaultData), "data directory of the embedded store (env FAZHI_DATA)")
	fs.StringVar(&c.Store, "store", env("FAZHI_STORE"), "postgres://... URL of a PostgreSQL+pgvector store instead of --data (env FAZHI_STORE)")
	fs.StringVar(&c.Embedder, "embedder", envOr(env, "FAZHI_EMBEDDER", "hash"), "embedder: hash (offline default), ollama:MODEL or openai:MODEL (env FAZHI_EMBEDDER)")
	fs.StringVar(&c.EmbedURL, "embed-url", env("FAZHI_EMBED_URL"), "base URL of the embedding server (env FAZHI_EMBED_URL)")
	fs.StringVar(&c.LLM, "llm", env("FAZHI_LLM"), "language model: ollama:MODEL or openai:MODEL; empty answers offline (env FAZHI_LLM)")
	fs.StringVar(&c.LLMURL, "llm-url", env("FAZHI_LLM_URL"), "base URL of the LLM server, e.g. an OpenAI-compatible vLLM, DeepSeek or DashScope endpoint (env FAZHI_LLM_URL)")
	fs.IntVar(&c.MaxFileMB, "max-file-mb", defaultMaxFileMB, "largest report file accepted, in MB")
	fs.IntVar(&c.LLMLimit, "llm-concurrency", 4, "LLM calls in flight at most")
	c.LLMTimeout = defaultLLMTimeout
	if v := env("FAZHI_LLM_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			c.envErr = fmt.Errorf("FAZHI_LLM_TIMEOUT: want a positive duration such as 60s, got %q", v)
		}
		c.LLMTimeout = d
	}
	fs.DurationVar(&c.LLMTimeout, "llm-timeout", c.LLMTimeout, "longest wait for one LLM or embedder call, after which the answer is read from the reports (env FAZHI_LLM_TIMEOUT)")
	fs.IntVar(&c.CacheMB, "cache-mb", rag.DefaultCacheBytes>>20, "memory budget of the reports prepared for answering, in MB")
	c.LLMKey = env("FAZHI_LLM_API_KEY")
	c.EmbedKey = envOr(env, "FAZHI_EMBED_API_KEY", c.LLMKey)
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("fazhi "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseArgs parses flags that may stand before or after positional
// arguments ("fazhi ask --json 问题" and "fazhi ask 问题 --json").
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (c *config) client() *http.Client {
	if c.httpClient == nil {
		c.httpClient = &http.Client{Timeout: 0} // callers own deadlines through ctx
	}
	return c.httpClient
}

func (c *config) embedder() (rag.Embedder, error) {
	if c.Embedder == "" || c.Embedder == "hash" {
		return rag.HashEmbedder(rag.DefaultDim), nil
	}
	fn, name, err := newEmbedder(c.Embedder, c.EmbedURL, c.EmbedKey, c.client())
	if err != nil {
		return rag.Embedder{}, fmt.Errorf("--embedder: %w", err)
	}
	// The dimension is whatever the model returns; ask it once.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	v, err := fn(ctx, "法治")
	if err != nil {
		return rag.Embedder{}, fmt.Errorf("--embedder %s: %w", c.Embedder, err)
	}
	return rag.Embedder{Name: name, Dim: len(v), Embed: rag.EmbedFunc(fn).WithTimeout(c.LLMTimeout)}, nil
}

func (c *config) limits() ingest.Limits {
	l := ingest.DefaultLimits()
	if c.MaxFileMB > 0 {
		l.MaxFileBytes = int64(c.MaxFileMB) << 20
	}
	return l
}

// open opens the store and the engine the config names.
func (c *config) open(ctx context.Context, log *slog.Logger, extra ...rag.Option) (*rag.Engine, rag.Store, error) {
	if c.envErr != nil {
		return nil, nil, c.envErr
	}
	if c.LLMTimeout <= 0 {
		return nil, nil, fmt.Errorf("--llm-timeout: want a positive duration such as 60s, got %s", c.LLMTimeout)
	}
	emb, err := c.embedder()
	if err != nil {
		return nil, nil, err
	}
	var st rag.Store
	if c.Store != "" {
		if !strings.HasPrefix(c.Store, "postgres://") && !strings.HasPrefix(c.Store, "postgresql://") {
			return nil, nil, fmt.Errorf("--store: want a postgres:// URL, got %q", redactURL(c.Store))
		}
		st, err = openPostgres(ctx, c.Store, emb)
	} else {
		st, err = sqlitestore.Open(ctx, c.Data, emb)
	}
	if err != nil {
		return nil, nil, err
	}
	opts := append([]rag.Option{rag.WithLogger(log), rag.WithLimits(c.limits()), rag.WithCacheBytes(int64(c.CacheMB) << 20)}, extra...)
	if c.LLM != "" {
		model, err := newLLM(c.LLM, c.LLMURL, c.LLMKey, c.client())
		if err != nil {
			st.Close()
			return nil, nil, fmt.Errorf("--llm: %w", err)
		}
		opts = append(opts, rag.WithLLM(&rag.LLMChain{Model: model, Limit: make(chan struct{}, max(1, c.LLMLimit)), Timeout: c.LLMTimeout}))
	}
	eng, err := rag.NewEngine(ctx, st, emb, opts...)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return eng, st, nil
}

// redactURL hides a password in a connection URL.
func redactURL(s string) string {
	if i := strings.Index(s, "@"); i >= 0 {
		if j := strings.Index(s, "://"); j >= 0 && j < i {
			return s[:j+3] + "…@" + s[i+1:]
		}
	}
	return s
}
