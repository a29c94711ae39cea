package sqlitestore

import (
	"cmp"
	"container/heap"
	"math"
	"runtime"
	"slices"
	"sync"
)

// vectorIndex is the store's in-memory vector index: every chunk's
// embedding, normalised to unit length, in contiguous float32 blocks
// (one per load), with each report's rows noted as runs of a block. A
// search picks the runs of the reports in scope (towns and year filter
// before any vector is scored) and scans them exactly, in parallel
// blocks; nothing is approximated, so it finds the same hits as a full
// chromem-go scan at a fraction of the cost (see the README). It is not
// safe for concurrent use: the store guards it.
type vectorIndex struct {
	dim     int
	reports map[string]*vecReport // report id → its rows
	rows    int                   // rows of live reports
	dead    int                   // rows of reports dropped since the last compaction
}

// vecBlock is a contiguous block of embeddings: row i is
// data[i*dim:(i+1)*dim], the embedding of chunk ids[i].
type vecBlock struct {
	ids  []int64
	data []float32
}

// vecReport is where one report's chunks lie in the index.
type vecReport struct {
	town string
	year int
	runs []vecRun
}

// vecRun is rows lo..hi-1 of a block.
type vecRun struct {
	b      *vecBlock
	lo, hi int
}

// vecHit is a chunk a search found, with its cosine similarity.
type vecHit struct {
	id  int64
	sim float32
}

func newVectorIndex(dim int) *vectorIndex {
	return &vectorIndex{dim: dim, reports: map[string]*vecReport{}}
}

// has reports whether the index holds report id, and under which town
// and year.
func (x *vectorIndex) has(id string) (town string, year int, ok bool) {
	r := x.reports[id]
	if r == nil {
		return "", 0, false
	}
	return r.town, r.year, true
}

// ids lists the reports the index holds.
func (x *vectorIndex) ids() []string {
	out := make([]string, 0, len(x.reports))
	for id := range x.reports {
		out = append(out, id)
	}
	return out
}

// add files the rows of blocks under the reports of meta, which the
// index does not hold yet: reps[n][i] is the report of row i of
// blocks[n] ("" for a row of no report, counted dead). A report of meta
// with no rows is held too, with none.
func (x *vectorIndex) add(blocks []*vecBlock, reps [][]string, meta map[string]vecReport) {
	for n, b := range blocks {
		rep := reps[n]
		for i := 0; i < len(b.ids); {
			j := i + 1
			for j < len(b.ids) && rep[j] == rep[i] {
				j++
			}
			if rep[i] == "" { // rows of no report (a cache's rows of reports gone)
				x.dead += j - i
				i = j
				continue
			}
			r := x.report(rep[i], meta)
			r.runs = append(r.runs, vecRun{b: b, lo: i, hi: j})
			x.rows += j - i
			i = j
		}
	}
	for id := range meta {
		x.report(id, meta)
	}
}

func (x *vectorIndex) report(id string, meta map[string]vecReport) *vecReport {
	r := x.reports[id]
	if r == nil {
		m := meta[id]
		r = &vecReport{town: m.town, year: m.year}
		x.reports[id] = r
	}
	return r
}

// remove drops a report's rows; their memory is given back once dropped
// rows outnumber the live ones (compact).
func (x *vectorIndex) remove(id string) {
	r := x.reports[id]
	if r == nil {
		return
	}
	for _, run := range r.runs {
		n := run.hi - run.lo
		x.rows -= n
		x.dead += n
	}
	delete(x.reports, id)
	if x.dead > 1024 && x.dead > x.rows {
		x.compact()
	}
}

// compact copies the live rows into one new block.
func (x *vectorIndex) compact() {
	b := &vecBlock{ids: make([]int64, 0, x.rows), data: make([]float32, 0, x.rows*x.dim)}
	for _, r := range x.reports {
		runs := r.runs
		r.runs = nil
		for _, run := range runs {
			lo := len(b.ids)
			b.ids = append(b.ids, run.b.ids[run.lo:run.hi]...)
			b.data = append(b.data, run.b.data[run.lo*x.dim:run.hi*x.dim]...)
			r.runs = append(r.runs, vecRun{b: b, lo: lo, hi: len(b.ids)})
		}
	}
	x.dead = 0
}

// normalize scales v to unit length in place unless it is already (as
// chromem-go does, with its tolerance).
func normalize(v []float32) {
	var sq float64
	for _, f := range v {
		sq += float64(f) * float64(f)
	}
	m := math.Sqrt(sq)
	if math.Abs(m-1) < 1e-6 || m == 0 {
		return
	}
	var n32 float32
	for _, f := range v {
		n32 += f * f
	}
	norm := float32(math.Sqrt(float64(n32)))
	for i := range v {
		v[i] /= norm
	}
}

// minParallelRows is the scan size from which a search is split over
// the CPUs: below it, starting goroutines costs more than it saves.
const minParallelRows = 8192

// search returns the k rows most similar to q among the reports of the
// given towns (all when none) and year (any when 0), best first; equal
// similarities go by chunk id.
func (x *vectorIndex) search(q []float32, towns []string, year int, k int) []vecHit {
	if k <= 0 || len(q) != x.dim {
		return nil
	}
	qn := slices.Clone(q)
	normalize(qn)
	var inTown map[string]bool
	if len(towns) > 0 {
		inTown = make(map[string]bool, len(towns))
		for _, t := range towns {
			inTown[t] = true
		}
	}
	var runs []vecRun
	total := 0
	for _, r := range x.reports {
		if (inTown != nil && !inTown[r.town]) || (year != 0 && r.year != year) {
			continue
		}
		for _, run := range r.runs {
			runs = append(runs, run)
			total += run.hi - run.lo
		}
	}
	if total == 0 {
		return nil
	}
	parts := 1
	if total >= minParallelRows {
		parts = min(runtime.GOMAXPROCS(0), total/(minParallelRows/2))
	}
	if parts <= 1 {
		return scanRuns(qn, runs, x.dim, k).sorted()
	}
	// Cut the runs into parts of about equal rows; each part keeps its
	// own top k and the tops are merged.
	per := (total + parts - 1) / parts
	groups := make([][]vecRun, 0, parts)
	var cur []vecRun
	n := 0
	for _, run := range runs {
		for run.lo < run.hi {
			take := min(run.hi-run.lo, per-n)
			cur = append(cur, vecRun{b: run.b, lo: run.lo, hi: run.lo + take})
			run.lo += take
			n += take
			if n == per {
				groups = append(groups, cur)
				cur, n = nil, 0
			}
		}
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	tops := make([]topK, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tops[i] = scanRuns(qn, g, x.dim, k)
		}()
	}
	wg.Wait()
	all := topK{k: k}
	for _, t := range tops {
		for _, h := range t.h {
			all.offer(h)
		}
	}
	return all.sorted()
}

// scanRuns scores every row of runs against q and keeps the best k.
func scanRuns(q []float32, runs []vecRun, dim, k int) topK {
	t := topK{k: k, h: make([]vecHit, 0, k)}
	for _, run := range runs {
		data := run.b.data
		for i := run.lo; i < run.hi; i++ {
			sim := dot(q, data[i*dim:(i+1)*dim])
			if len(t.h) == k && sim < t.h[0].sim {
				continue
			}
			t.offer(vecHit{id: run.b.ids[i], sim: sim})
		}
	}
	return t
}

// dot is the dot product of two vectors of the same length, summed in
// eight lanes so the additions do not wait on each other.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		a8, b8 := a[i:i+8:i+8], b[i:i+8:i+8]
		s0 += a8[0] * b8[0]
		s1 += a8[1] * b8[1]
		s2 += a8[2] * b8[2]
		s3 += a8[3] * b8[3]
		s4 += a8[4] * b8[4]
		s5 += a8[5] * b8[5]
		s6 += a8[6] * b8[6]
		s7 += a8[7] * b8[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

// topK keeps the k best hits seen, the worst on top of a heap.
type topK struct {
	k int
	h []vecHit
}

// worse orders hits from worst to best: lower similarity, then higher
// chunk id.
func worse(a, b vecHit) bool {
	if a.sim != b.sim {
		return a.sim < b.sim
	}
	return a.id > b.id
}

func (t *topK) Len() int           { return len(t.h) }
func (t *topK) Less(i, j int) bool { return worse(t.h[i], t.h[j]) }
func (t *topK) Swap(i, j int)      { t.h[i], t.h[j] = t.h[j], t.h[i] }
func (t *topK) Push(x any)         { t.h = append(t.h, x.(vecHit)) }
func (t *topK) Pop() any {
	x := t.h[len(t.h)-1]
	t.h = t.h[:len(t.h)-1]
	return x
}

func (t *topK) offer(h vecHit) {
	if len(t.h) < t.k {
		heap.Push(t, h)
		return
	}
	if worse(t.h[0], h) {
		t.h[0] = h
		heap.Fix(t, 0)
	}
}

// sorted returns the hits best first.
func (t topK) sorted() []vecHit {
	out := slices.Clone(t.h)
	slices.SortFunc(out, func(a, b vecHit) int {
		if c := cmp.Compare(b.sim, a.sim); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	return out
}
