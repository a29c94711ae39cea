package sqlitestore

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"
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

var vcacheMagic = []byte("fazhi-vectors-1\n")

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
// It streams the file through one buffer: a cache is as large as every
// embedding of the store.
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
	head := len(vcacheMagic) + len(key) + 8
	if fi.Size() < int64(head)+4 {
		return nil, errors.New("vector cache truncated")
	}
	crc := crc32.New(crcTable)
	r := io.TeeReader(bufio.NewReaderSize(f, 1<<20), crc) // the checksum covers what is consumed
	hb := make([]byte, head)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(hb, vcacheMagic) || !bytes.Equal(hb[len(vcacheMagic):head-8], []byte(key)) {
		return nil, errors.New("vector cache of another store or embedder")
	}
	n := binary.LittleEndian.Uint64(hb[head-8:])
	if n > uint64(fi.Size()) || uint64(fi.Size()) != uint64(head)+n*8+n*uint64(dim)*4+4 {
		return nil, errors.New("vector cache has the wrong size")
	}
	c := &vcache{ids: make([]int64, n), data: make([]float32, int(n)*dim)}
	buf := make([]byte, 1<<16)
	for i := 0; i < len(c.ids); {
		m := min(len(c.ids)-i, len(buf)/8)
		if _, err := io.ReadFull(r, buf[:8*m]); err != nil {
			return nil, err
		}
		for j := range m {
			c.ids[i+j] = int64(binary.LittleEndian.Uint64(buf[8*j:]))
		}
		i += m
	}
	for i := 0; i < len(c.data); {
		m := min(len(c.data)-i, len(buf)/4)
		if _, err := io.ReadFull(r, buf[:4*m]); err != nil {
			return nil, err
		}
		for j := range m {
			c.data[i+j] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*j:]))
		}
		i += m
	}
	sum := crc.Sum32()                                 // of everything read so far: all but the checksum
	if _, err := io.ReadFull(r, buf[:4]); err != nil { // (now in crc too: unused)
		return nil, err
	}
	if binary.LittleEndian.Uint32(buf) != sum {
		return nil, errors.New("vector cache checksum mismatch")
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
	slices.SortFunc(rows, func(a, b row) int { return int(a.id - b.id) })
	size := len(vcacheMagic) + len(key) + 8 + len(rows)*(8+4*x.dim) + 4
	b := make([]byte, 0, size)
	b = append(b, vcacheMagic...)
	b = append(b, key...)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(rows)))
	for _, r := range rows {
		b = binary.LittleEndian.AppendUint64(b, uint64(r.id))
	}
	for _, r := range rows {
		for _, f := range r.vec {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
		}
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
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

// find returns the row of chunk id in the cache, or -1.
func (c *vcache) find(id int64) int {
	i, ok := slices.BinarySearch(c.ids, id)
	if !ok {
		return -1
	}
	return i
}
