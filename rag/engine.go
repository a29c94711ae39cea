package rag

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"fazhi/ingest"
)

// Engine is what every front end calls: it ingests reports and answers
// questions from them. It is safe for concurrent use.
type Engine struct {
	store    Store
	emb      Embedder
	gloss    *Glossary
	llm      *LLMChain
	gate     Gate
	limits   ingest.Limits
	chunkOpt ingest.ChunkOptions
	log      *slog.Logger
	now      func() time.Time

	mu      sync.RWMutex
	version int64
	cat     *catalog

	terms    termCounter // how many sentences of each report hold a term
	factRows factRows    // the figures of recent fact queries

	cacheMu    sync.Mutex
	docs       map[string]*reportDoc // report id → sentences, built on demand
	docBytes   int64                 // what docs hold, estimated
	cacheBytes int64                 // the budget of docs
}

// DefaultCacheBytes is the default memory budget of the reports' cache
// (their sentences and figures, prepared for answering): 64 MiB, about
// 160 reports of ordinary length, more than a town's or a year's
// questions read whole. Four totals at once over 2,005 look-alike
// reports peaked at 366 MB of resident memory with it, 627 MB with 128.
const DefaultCacheBytes = 64 << 20

// Option configures an Engine.
type Option func(*Engine)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// WithLimits sets the loaders' limits.
func WithLimits(l ingest.Limits) Option { return func(e *Engine) { e.limits = l } }

// WithChunkOptions sets chunk sizes.
func WithChunkOptions(o ingest.ChunkOptions) Option { return func(e *Engine) { e.chunkOpt = o } }

// WithCacheBytes sets the memory budget of the reports' cache, in bytes
// (default DefaultCacheBytes). Reports beyond it are prepared again
// when a question needs them.
func WithCacheBytes(n int64) Option {
	return func(e *Engine) {
		if n > 0 {
			e.cacheBytes = n
		}
	}
}

// WithLLM makes the Engine answer through a language model chain; the
// extractive answerer stays the fallback the numeric guard uses.
func WithLLM(c *LLMChain) Option { return func(e *Engine) { e.llm = c } }

// Gate admits expensive answers (an LLM answer, a total over many
// reports): Enter waits for a slot and returns the function that frees
// it, or an error when there is none to be had. ratelimit.Gate satisfies
// it.
type Gate interface {
	Enter(ctx context.Context) (release func(), err error)
}

// WithGate makes expensive answers go through g; the Engine holds at most
// one slot per question, however it is answered.
func WithGate(g Gate) Option { return func(e *Engine) { e.gate = g } }

// heldKey marks a context whose question already holds a gate slot.
type heldKey struct{}

// enterGate takes a slot of the Engine's gate for an expensive answer.
// It returns the context to answer under and the release function (a
// no-op without a gate, or when ctx already holds a slot).
func (e *Engine) enterGate(ctx context.Context) (context.Context, func(), error) {
	if e.gate == nil || ctx.Value(heldKey{}) != nil {
		return ctx, func() {}, nil
	}
	release, err := e.gate.Enter(ctx)
	if err != nil {
		return ctx, nil, fmt.Errorf("expensive question: %w", err)
	}
	return context.WithValue(ctx, heldKey{}, true), release, nil
}

// NewEngine returns an Engine over store, embedding with emb.
func NewEngine(ctx context.Context, store Store, emb Embedder, opts ...Option) (*Engine, error) {
	e := &Engine{
		store:      store,
		emb:        emb,
		gloss:      DefaultGlossary(),
		limits:     ingest.DefaultLimits(),
		chunkOpt:   ingest.DefaultChunkOptions(),
		log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		now:        time.Now,
		docs:       map[string]*reportDoc{},
		version:    -1,
		cacheBytes: DefaultCacheBytes,
	}
	for _, o := range opts {
		o(e)
	}
	if e.llm != nil {
		if e.llm.Retriever == nil {
			e.llm.Retriever = e.Retriever()
		}
		if e.llm.Fallback == nil {
			e.llm.Fallback = e.extractive
		}
		if e.llm.Scope == nil {
			e.llm.Scope = e.questionScope
		}
	}
	if err := e.refresh(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// questionScope is the town and year a question names, as the LLM
// chain's guard checks citations against them.
func (e *Engine) questionScope(question string) (string, int) {
	e.mu.RLock()
	c := e.cat
	e.mu.RUnlock()
	if c == nil {
		return "", 0
	}
	q := analyse(question, c.towns, e.gloss)
	town := ""
	if len(q.Towns) == 1 {
		town = q.Towns[0]
	}
	return town, q.Year
}

// catalog is the engine's view of which reports exist.
type catalog struct {
	reports []ReportInfo
	towns   []townName
	byID    map[string]ReportInfo
}

// refresh reloads the catalog and the store's indexes when another
// process (or this one) has committed since the last look.
func (e *Engine) refresh(ctx context.Context) error {
	v, err := e.store.Version(ctx)
	if err != nil {
		return err
	}
	e.mu.RLock()
	same := v == e.version && e.cat != nil
	e.mu.RUnlock()
	if same {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if v == e.version && e.cat != nil {
		return nil
	}
	if err := e.store.Refresh(ctx); err != nil {
		return err
	}
	reps, err := e.store.Reports(ctx)
	if err != nil {
		return err
	}
	c := &catalog{reports: reps, byID: map[string]ReportInfo{}}
	var names []string
	seen := map[string]bool{}
	for _, r := range reps {
		c.byID[r.ID] = r
		if u := r.Unit(); u != "" && !seen[u] {
			seen[u] = true
			names = append(names, u)
		}
	}
	c.towns = makeTownNames(names)
	byUnit := map[string]ReportInfo{}
	aliases := map[string][]string{}
	for _, r := range reps {
		if r.County != "" || r.DivisionCode != "" {
			byUnit[r.Unit()] = r
		}
		for _, a := range r.Aliases {
			if !seen[a] && !slices.Contains(aliases[r.Unit()], a) { // a stored unit's own name is never another's alias
				aliases[r.Unit()] = append(aliases[r.Unit()], a)
			}
		}
	}
	for i := range c.towns {
		r := byUnit[c.towns[i].full]
		c.towns[i].county, c.towns[i].city, c.towns[i].province, c.towns[i].code = r.County, r.City, r.Province, r.DivisionCode
		if r.Level == ingest.LevelCounty {
			c.towns[i].county = "" // its own name says where it is
			c.towns[i].countyLevel = true
		}
		c.towns[i].aliases = aliases[c.towns[i].full]
		for _, a := range c.towns[i].aliases {
			c.towns[i].pinyins = append(c.towns[i].pinyins, pinyinForms(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(a, "街道"), "镇"), "乡"))...)
		}
	}
	e.cat = c
	e.version = v
	e.cacheMu.Lock()
	for id, d := range e.docs {
		if ri, ok := c.byID[id]; !ok || ri.Source != d.source {
			delete(e.docs, id)
			e.docBytes -= d.bytes
		}
	}
	e.cacheMu.Unlock()
	return nil
}

func (e *Engine) catalog(ctx context.Context) (*catalog, error) {
	if err := e.refresh(ctx); err != nil {
		return nil, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.cat, nil
}

// Reports lists the stored reports.
func (e *Engine) Reports(ctx context.Context) ([]ReportInfo, error) {
	c, err := e.catalog(ctx)
	if err != nil {
		return nil, err
	}
	return append([]ReportInfo(nil), c.reports...), nil
}

// Facts lists the stored facts matching f.
func (e *Engine) Facts(ctx context.Context, f FactFilter) ([]ingest.Fact, error) {
	return e.store.Facts(ctx, f)
}

// Stats summarises the store.
func (e *Engine) Stats(ctx context.Context) (Stats, error) {
	if err := e.refresh(ctx); err != nil {
		return Stats{}, err
	}
	r, c, f, err := e.store.Counts(ctx)
	if err != nil {
		return Stats{}, err
	}
	return Stats{Reports: r, Chunks: c, Facts: f, Embedder: e.emb.Name, Dim: e.emb.Dim}, nil
}

// Delete removes the report stored under source.
func (e *Engine) Delete(ctx context.Context, source string) error {
	return e.store.Delete(ctx, source)
}

// IngestFile ingests a report held in memory; name is its file name and
// gives its format.
func (e *Engine) IngestFile(ctx context.Context, name string, data []byte) (IngestResult, error) {
	name, err := CheckSource(filepath.Base(name))
	if err != nil {
		return IngestResult{}, fmt.Errorf("load: %w", err)
	}
	sum := sha256.Sum256(data)
	id := hex.EncodeToString(sum[:])
	if res, done, err := e.unchanged(ctx, name, id); done || err != nil {
		return res, err
	}
	text, err := ingest.LoadBytes(ctx, name, data, e.limits)
	if err != nil {
		return IngestResult{}, err
	}
	return e.ingestText(ctx, name, id, text)
}

// IngestPath ingests the report file at path under its file name.
func (e *Engine) IngestPath(ctx context.Context, path string) (IngestResult, error) {
	return e.IngestPathAs(ctx, path, filepath.Base(path))
}

// IngestPathAs ingests the report file at path under source, the name
// it is known by: its path relative to the folder being ingested, with
// forward slashes ("渔门镇/2020年工作报告.txt"), so that files of the same
// name in different folders are different reports.
func (e *Engine) IngestPathAs(ctx context.Context, path, source string) (IngestResult, error) {
	p, res, done, err := e.PreparePathAs(ctx, path, source)
	if done || err != nil {
		return res, err
	}
	results, errs := e.StoreBatch(ctx, []Prepared{p})
	return results[0], errs[0]
}

// PreparePathAs does what IngestPathAs does short of storing: it loads
// the file at path and prepares it to be stored as source by StoreBatch.
// When this very file (same source, same content) is stored already,
// done is true and res says so: there is nothing to store.
func (e *Engine) PreparePathAs(ctx context.Context, path, source string) (p Prepared, res IngestResult, done bool, err error) {
	name, err := CheckSource(source)
	if err != nil {
		return Prepared{}, IngestResult{}, false, fmt.Errorf("load %s: %w", path, err)
	}
	id, err := e.hashFile(path)
	if err != nil {
		return Prepared{}, IngestResult{}, false, err
	}
	if res, done, err := e.unchanged(ctx, name, id); done || err != nil {
		return Prepared{}, res, done, err
	}
	text, err := ingest.Load(ctx, path, e.limits)
	if err != nil {
		return Prepared{}, IngestResult{}, false, err
	}
	p, err = e.prepare(ctx, name, id, text)
	return p, IngestResult{}, false, err
}

// StoreBatch stores reports made by PreparePathAs, in one transaction
// when the store is a BatchStore (a crash keeps all of them or none)
// and one by one otherwise. It returns each report's result or error;
// one report's failure does not fail the others.
func (e *Engine) StoreBatch(ctx context.Context, ps []Prepared) ([]IngestResult, []error) {
	res := make([]IngestResult, len(ps))
	errs := make([]error, len(ps))
	statuses := make([]IngestStatus, len(ps))
	if bs, ok := e.store.(BatchStore); ok && len(ps) > 1 {
		st, perr, err := bs.PutBatch(ctx, ps)
		if err != nil {
			for i := range errs {
				errs[i] = err
			}
			return res, errs
		}
		statuses, errs = st, perr
	} else {
		for i, p := range ps {
			statuses[i], errs[i] = e.store.Put(ctx, p.Report, p.Chunks, p.Facts)
		}
	}
	for i, p := range ps {
		if errs[i] == nil {
			res[i], errs[i] = e.stored(ctx, p, statuses[i])
		}
	}
	return res, errs
}

func (e *Engine) hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("load %s: %w", filepath.Base(path), err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("load %s: %w", filepath.Base(path), err)
	}
	lim := e.limits
	if lim.MaxFileBytes <= 0 {
		lim = ingest.DefaultLimits()
	}
	if st.Size() > lim.MaxFileBytes {
		return "", fmt.Errorf("load %s: file is %.1f MB, over the %.1f MB limit: %w", filepath.Base(path), float64(st.Size())/(1<<20), float64(lim.MaxFileBytes)/(1<<20), ingest.ErrTooLarge)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, lim.MaxFileBytes+1)); err != nil {
		return "", fmt.Errorf("load %s: %w", filepath.Base(path), err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CheckSource validates a report source (its name): a clean relative
// path of non-empty elements separated by "/", as `fazhi ingest` stores
// files found in folders. It returns the source unchanged when valid.
func CheckSource(source string) (string, error) {
	switch {
	case source == "":
		return "", errors.New("empty report name")
	case !utf8.ValidString(source):
		return "", errors.New("report name is not valid UTF-8")
	case strings.ContainsAny(source, "\\\x00"):
		return "", fmt.Errorf("report name %q: use / to separate folders, and no NUL", source)
	case strings.HasPrefix(source, "/") || path.Clean(source) != source || source == "." || source == ".." || strings.HasPrefix(source, "../"):
		return "", fmt.Errorf("report name %q: must be a clean relative path", source)
	}
	return source, nil
}

// unchanged reports whether this very file (same name, same content) is
// stored already, so that re-ingesting it costs no parsing. The same
// content under another name goes through loading, so a bad name or
// format is still reported, and is then found unchanged by the store.
func (e *Engine) unchanged(ctx context.Context, name, id string) (IngestResult, bool, error) {
	src, ok, err := e.store.Has(ctx, id)
	if err != nil || !ok || src != name {
		return IngestResult{}, false, err
	}
	// The catalog as it stands, refreshed only when it does not know the
	// report yet: refreshing on every call would reload every report's
	// metadata once per re-ingested file during a bulk ingest.
	res := IngestResult{Source: name, Status: StatusUnchanged}
	e.mu.RLock()
	ri, known := ReportInfo{}, false
	if e.cat != nil {
		ri, known = e.cat.byID[id]
	}
	e.mu.RUnlock()
	if !known {
		if c, err := e.catalog(ctx); err == nil {
			ri = c.byID[id]
		}
	}
	res.Report = ri
	return res, true, nil
}

// Prepare turns a report's raw text into what the store holds: the
// cleaned report with its metadata, embedded chunks and facts. It is
// pure apart from the embedder.
func (e *Engine) Prepare(ctx context.Context, name, id, raw string) (ingest.Report, []StoredChunk, []ingest.Fact, error) {
	text := ingest.Clean(raw)
	rep := ingest.Report{ID: id, Source: name, Text: text, IngestedAt: e.now()}
	meta := ingest.DetectMetaFile(text, name)
	if meta.Date == "" {
		meta.Date = ingest.PageDate(raw) // a fetched page's header date
	}
	ApplyMeta(&rep, meta)
	chunks := ingest.ChunkText(text, e.chunkOpt)
	stored := make([]StoredChunk, len(chunks))
	for i, c := range chunks {
		c.ReportID = id
		v, err := e.emb.Embed(ctx, embedText(rep, c))
		if err != nil {
			return rep, nil, nil, fmt.Errorf("embed %s: %w", name, err)
		}
		if len(v) != e.emb.Dim {
			return rep, nil, nil, fmt.Errorf("embed %s: embedder returned %d dimensions, want %d", name, len(v), e.emb.Dim)
		}
		stored[i] = StoredChunk{Chunk: c, Embedding: v, Terms: Tokens(c.Section + " " + c.Text)}
	}
	var facts []ingest.Fact
	seen := map[string]bool{}
	prev := map[string]string{} // sentence → the sentences before it, as answering reads them
	var trail sentenceTrail
	var header []string // the header row of the table being read
	tally := newTermTally(defaultTermVocab())
	for _, c := range chunks {
		for _, s := range ingest.Sentences(c.Text) {
			if seen[s] {
				continue // overlap between chunks
			}
			seen[s] = true
			tally.add(s)
			if p := trail.add(s, c.Section); p != "" {
				prev[s] = p
			}
			text, quote := s, ""
			if ingest.IsTableRow(s) {
				row, ok := ingest.TableRowSentence(s, header)
				if !ok {
					header = strings.Split(s, "\t")
					continue
				}
				// A table row is read, and quoted, as the sentence it
				// stands for: "婚姻家庭纠纷受理52件，调解成功51件，涉及金额86.4万元。"
				text, quote = row, row
			} else {
				header = nil
			}
			for _, f := range ingest.ExtractFacts(text) {
				f.Source, f.Town, f.Year, f.Section = name, rep.Unit(), rep.Year, c.Section
				if quote != "" {
					f.Quote = quote
				}
				facts = append(facts, f)
			}
		}
	}
	for i := range facts {
		facts[i].Context = prev[facts[i].Quote]
	}
	rep.Sentences = len(seen)
	rep.TermVocab, rep.TermCounts = tally.v.version, tally.encode()
	return rep, stored, facts, nil
}

// Reindex detects every stored report's metadata again from its stored
// text, as this version of ingest reads it, and rewrites what changed:
// a store made before the place fields gets them without re-embedding
// anything. It returns the reports it changed, with their new metadata.
func (e *Engine) Reindex(ctx context.Context) ([]ReportInfo, error) {
	reps, err := e.store.Reports(ctx)
	if err != nil {
		return nil, err
	}
	var changed []ReportInfo
	for _, r := range reps {
		text, err := e.store.ReportText(ctx, r.ID)
		if err != nil {
			return changed, err
		}
		next := r.Report
		ApplyMeta(&next, ingest.DetectMetaFile(text, r.Source))
		next.Text = ""
		if sameReport(next, r.Report) && slices.Equal(next.Aliases, r.Aliases) {
			continue
		}
		if err := e.store.SetMeta(ctx, next); err != nil {
			return changed, err
		}
		changed = append(changed, ReportInfo{Report: next, Chunks: r.Chunks, Facts: r.Facts})
	}
	if len(changed) > 0 {
		// Prepared reports carry their metadata: build them again.
		e.cacheMu.Lock()
		e.docs, e.docBytes = map[string]*reportDoc{}, 0
		e.cacheMu.Unlock()
	}
	return changed, e.refresh(ctx)
}

// sameReport compares two reports but for their aliases.
func sameReport(a, b ingest.Report) bool {
	a.Aliases, b.Aliases = nil, nil
	return reflect.DeepEqual(a, b)
}

// ApplyMeta copies detected metadata onto a report.
func ApplyMeta(rep *ingest.Report, m ingest.Meta) {
	rep.Title, rep.Place, rep.Level, rep.Town, rep.County = m.Title, m.Place, m.Level, m.Town, m.County
	rep.City, rep.Province, rep.DivisionCode = m.City, m.Province, m.DivisionCode
	rep.Year, rep.Date, rep.DocNumber = m.Year, m.Date, m.DocNumber
	rep.Aliases = m.Aliases
}

// embedText is what a chunk's vector is made from: its place and time,
// its section and its text.
func embedText(r ingest.Report, c ingest.Chunk) string {
	return fmt.Sprintf("%s %d年 %s\n%s", r.Unit(), r.Year, c.Section, c.Text)
}

func (e *Engine) ingestText(ctx context.Context, name, id, raw string) (IngestResult, error) {
	p, err := e.prepare(ctx, name, id, raw)
	if err != nil {
		return IngestResult{}, err
	}
	// The catalog and the vector index catch up on the next question:
	// a bulk ingest does not pay for a refresh per report.
	status, err := e.store.Put(ctx, p.Report, p.Chunks, p.Facts)
	if err != nil {
		return IngestResult{}, err
	}
	return e.stored(ctx, p, status)
}

// prepare is Prepare, failing on a report with no text after cleaning.
func (e *Engine) prepare(ctx context.Context, name, id, raw string) (Prepared, error) {
	rep, chunks, facts, err := e.Prepare(ctx, name, id, raw)
	if err != nil {
		return Prepared{}, err
	}
	if len(chunks) == 0 {
		return Prepared{}, fmt.Errorf("load %s: no text after cleaning: %w", name, ingest.ErrEmpty)
	}
	return Prepared{Report: rep, Chunks: chunks, Facts: facts}, nil
}

// stored is the result of storing p with this status.
func (e *Engine) stored(ctx context.Context, p Prepared, status IngestStatus) (IngestResult, error) {
	rep, name, id := p.Report, p.Report.Source, p.Report.ID
	res := IngestResult{Source: name, Status: status, Report: ReportInfo{Report: rep, Chunks: len(p.Chunks), Facts: len(p.Facts)}}
	if status == StatusDuplicate || status == StatusUnchanged {
		// Nothing was written: describe the report that holds the
		// content, by the name it is stored under.
		src, ok, err := e.store.Has(ctx, id)
		if err != nil {
			return IngestResult{}, err
		}
		if ok && src != name {
			res.DuplicateOf = src
		}
		if c, err := e.catalog(ctx); err == nil {
			if ri, ok := c.byID[id]; ok {
				res.Report = ri
			}
		}
	}
	return res, nil
}
