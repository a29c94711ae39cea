package sqlitestore

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"
	"unsafe"

	"golang.org/x/sync/errgroup"
)

// VectorCacheFile is the name of the vector cache inside a data
// directory: a copy of the stored embeddings, normalised, read at open
// instead of the chunk table (which interleaves them with the texts).
// It is only a cache: an embedding never changes under its chunk id (ids
// are never reused), so a cached vector is good for as long as its chunk
// is stored, and chunks it lacks are read from SQLite. A cache of another
// store (the store id of the meta table) or embedder, or damaged (CRC),
// is ignored; deleting it is always safe.
const VectorCacheFile = "vectors.cache"

var vcacheMagic = []byte("fazhi-vectors-2\n")

// vcacheSection is how many rows of vectors one checksum covers: the
// sections are read and checked side by side.
const vcacheSection = 8192

// The file: magic, key, row count n (uint64), n chunk ids (int64,
// ascending), n vectors (float32, normalised), then a CRC-32C of
// everything before the vectors and one of each section of vectors, all
// little-endian.

// vcache is a decoded vector cache: ids ascending, row i of data
// (normalised) is chunk ids[i]'s embedding.
type vcache struct {
	ids  []int64
	data []float32
}

// vcacheKey says which store and embedder a cache belongs to.
func vcacheKey(storeID, embedder string, dim int) string {
	return fmt.Sprintf("%s\n%s\n%d\n", storeID, embedder, dim)
}

// readVectorCache reads the cache at path made for key; a missing,
// foreign or damaged file gives an error (the caller then reads SQLite).
// The sections of vectors are read and checked in parallel.
func readVectorCache(path, key string, dim int) (*vcache, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	head := int64(len(vcacheMagic) + len(key) + 8)
	if fi.Size() < head+4 {
		return nil, errors.New("vector cache truncated")
	}
	hb := make([]byte, head)
	if _, err := f.ReadAt(hb, 0); err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(hb, vcacheMagic) || !bytes.Equal(hb[len(vcacheMagic):head-8], []byte(key)) {
		return nil, errors.New("vector cache of another store or embedder")
	}
	n := int64(binary.LittleEndian.Uint64(hb[head-8:]))
	sections := (n + vcacheSection - 1) / vcacheSection
	rowBytes := int64(4 * dim)
	vecAt := head + 8*n
	sumAt := vecAt + n*rowBytes
	if n < 0 || n > fi.Size() || fi.Size() != sumAt+4+4*sections {
		return nil, errors.New("vector cache has the wrong size")
	}
	sums := make([]byte, 4+4*sections)
	if _, err := f.ReadAt(sums, sumAt); err != nil {
		return nil, err
	}
	c := &vcache{ids: make([]int64, n), data: make([]float32, n*int64(dim))}
	ib := make([]byte, 8*n)
	if _, err := f.ReadAt(ib, head); err != nil {
		return nil, err
	}
	crc := crc32.Update(crc32.Checksum(hb, crcTable), crcTable, ib)
	if crc != binary.LittleEndian.Uint32(sums) {
		return nil, errors.New("vector cache checksum mismatch")
	}
	for i := range c.ids {
		c.ids[i] = int64(binary.LittleEndian.Uint64(ib[8*i:]))
	}
	var g errgroup.Group
	next := make(chan int64, sections)
	for i := range sections {
		next <- i
	}
	close(next)
	for range max(1, min(runtime.GOMAXPROCS(0), 4)) {
		g.Go(func() error {
			buf := make([]byte, vcacheSection*rowBytes)
			for sec := range next {
				lo, hi := sec*vcacheSection, min((sec+1)*vcacheSection, n)
				out := c.data[lo*int64(dim) : hi*int64(dim)]
				b := buf[:(hi-lo)*rowBytes]
				if littleEndian {
					// The file's bytes are the floats' own: read them in place.
					b = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(out))), len(out)*4)
				}
				if _, err := f.ReadAt(b, vecAt+lo*rowBytes); err != nil {
					return err
				}
				if crc32.Checksum(b, crcTable) != binary.LittleEndian.Uint32(sums[4+4*sec:]) {
					return errors.New("vector cache checksum mismatch")
				}
				if !littleEndian {
					for j := range out {
						out[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
					}
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return c, nil
}

// writeVectorCache writes the rows of x to path for key, through a
// temporary file renamed over it, so a reader sees a whole cache or the
// previous one.
func writeVectorCache(path, key string, x *vectorIndex) error {
	type row struct {
		id  int64
		vec []float32
	}
	rows := make([]row, 0, x.rows)
	for _, r := range x.reports {
		for _, run := range r.runs {
			for i := run.lo; i < run.hi; i++ {
				rows = append(rows, row{run.b.ids[i], run.b.data[i*x.dim : (i+1)*x.dim]})
			}
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(a.id, b.id) })
	sections := (len(rows) + vcacheSection - 1) / vcacheSection
	size := len(vcacheMagic) + len(key) + 8 + len(rows)*(8+4*x.dim) + 4 + 4*sections
	b := make([]byte, 0, size)
	b = append(b, vcacheMagic...)
	b = append(b, key...)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(rows)))
	for _, r := range rows {
		b = binary.LittleEndian.AppendUint64(b, uint64(r.id))
	}
	sums := binary.LittleEndian.AppendUint32(nil, crc32.Checksum(b, crcTable))
	for sec := 0; sec < sections; sec++ {
		from := len(b)
		for _, r := range rows[sec*vcacheSection : min((sec+1)*vcacheSection, len(rows))] {
			for _, f := range r.vec {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
			}
		}
		sums = binary.LittleEndian.AppendUint32(sums, crc32.Checksum(b[from:], crcTable))
	}
	b = append(b, sums...)
	// Temporary files a killed process left behind go first.
	if old, _ := filepath.Glob(path + ".tmp-*"); len(old) > 0 {
		for _, f := range old {
			if fi, err := os.Stat(f); err == nil && time.Since(fi.ModTime()) > time.Hour {
				os.Remove(f)
			}
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// littleEndian is whether float32s are stored in memory as the cache file
// stores them, so it can be read straight into the vectors.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// find returns the row of chunk id in the cache, or -1.
func (c *vcache) find(id int64) int {
	i, ok := slices.BinarySearch(c.ids, id)
	if !ok {
		return -1
	}
	return i
}
