package divisions

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// The name matcher of the embedded table, precomputed: reading it takes a
// few milliseconds where building it takes a fifth of a second. It is
// written by `go test ./divisions -run TestIndexFile -update` (also run by
// go generate) and checked by that test to be the build of today's table
// and name rules; a gazetteer whose table it was not made from builds its
// matcher instead.
//
//go:generate go test -run TestIndexFile -update .
//go:embed names.idx
var index string

// indexMagic starts an index file; the version changes with the format.
const indexMagic = "fazhi-divisions-index 1\n"

// tableSum identifies the table an index was made from.
func tableSum(table string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211 // FNV-1a, 64 bits
	h := uint64(offset)
	for i := 0; i < len(table); i++ {
		h = (h ^ uint64(table[i])) * prime
	}
	return h
}

// marshalIndex writes the matcher for the table it was built from:
//
//	magic, u32 table length, u64 table FNV-1a sum
//	u32 name keys, each u16 unit ID, u8 kind (see nameKey), sorted by text and ID
//	u32 runes, each u32
//	u32 nodes, each u16 rune index, u16 children (top bit: a name ends here), u24 fail
//	u32 names, each u8 form, uvarint units, each u16 unit ID
//
// Nodes are in breadth-first order with each node's children contiguous,
// so a node's first child and parent follow from the children counts, and
// the names are numbered by the nodes they end at.
func (nm *nameMatcher) marshalIndex(g *Gazetteer) ([]byte, error) {
	m := nm.m
	b := []byte(indexMagic)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(g.table)))
	b = binary.LittleEndian.AppendUint64(b, tableSum(g.table))
	type key struct {
		nameKey
		id int32
	}
	var keys []key
	for _, u := range g.units {
		if u.ID >= 1<<16 {
			return nil, fmt.Errorf("divisions index: unit ID %d too large for the format", u.ID)
		}
		for _, k := range nameKeys(u) {
			keys = append(keys, key{k, u.ID})
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.text, b.text); c != 0 {
			return c
		}
		return int(a.id - b.id)
	})
	b = binary.LittleEndian.AppendUint32(b, uint32(len(keys)))
	for _, k := range keys {
		b = binary.LittleEndian.AppendUint16(b, uint16(k.id))
		b = append(b, k.kind)
	}
	runeIdx := map[rune]int{}
	var runes []rune
	for _, r := range m.char {
		if _, ok := runeIdx[r]; !ok {
			runeIdx[r] = len(runes)
			runes = append(runes, r)
		}
	}
	if len(runes) > 1<<16 || len(m.char) >= 1<<24 {
		return nil, fmt.Errorf("divisions index: %d runes, %d nodes: too many for the format", len(runes), len(m.char))
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(runes)))
	for _, r := range runes {
		b = binary.LittleEndian.AppendUint32(b, uint32(r))
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.char)))
	for v := range m.char {
		c := uint16(m.count[v])
		if m.count[v] >= 1<<15 {
			return nil, fmt.Errorf("divisions index: node %d has %d children", v, m.count[v])
		}
		if m.out[v] >= 0 {
			c |= 1 << 15
		}
		b = binary.LittleEndian.AppendUint16(b, uint16(runeIdx[m.char[v]]))
		b = binary.LittleEndian.AppendUint16(b, c)
		f := uint32(m.fail[v])
		b = append(b, byte(f), byte(f>>8), byte(f>>16))
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(nm.names)))
	for _, n := range nm.names {
		b = append(b, byte(n.Form))
		b = binary.AppendUvarint(b, uint64(len(n.Units)))
		for _, id := range n.Units {
			if id >= 1<<16 {
				return nil, fmt.Errorf("divisions index: unit ID %d too large for the format", id)
			}
			b = binary.LittleEndian.AppendUint16(b, uint16(id))
		}
	}
	return b, nil
}

var errIndex = errors.New("divisions index: malformed or made from another table")

// sections checks g's index once and returns its name keys and the rest
// (the matcher); an error when g has no index or one made from another
// table.
func (g *Gazetteer) sections() (keys, rest string, err error) {
	g.secOnce.Do(func() {
		g.keys, g.rest, g.secErr = splitIndex(g.index, g)
	})
	return g.keys, g.rest, g.secErr
}

// splitIndex checks an index's header against g's table and splits it
// into its name keys and the rest.
func splitIndex(data string, g *Gazetteer) (keys, rest string, err error) {
	r := indexReader{s: data}
	if r.bytes(len(indexMagic)) != indexMagic {
		return "", "", errIndex
	}
	if n, sum := r.u32(), r.u64(); n != uint32(len(g.table)) || sum != tableSum(g.table) {
		return "", "", errIndex
	}
	n := int(r.u32())
	keys = r.bytes(3 * n)
	if r.bad {
		return "", "", errIndex
	}
	for i := 0; i < n; i++ {
		if id := int(keys[3*i]) | int(keys[3*i+1])<<8; id >= len(g.units) || keys[3*i+2] > 2 {
			return "", "", errIndex
		}
	}
	return keys, r.s, nil
}

// namedIn looks name up in an index's sorted name keys.
func (g *Gazetteer) namedIn(keys, name string) []Unit {
	n := len(keys) / 3
	at := func(i int) (Unit, string) {
		u := g.units[int(keys[3*i])|int(keys[3*i+1])<<8]
		return u, keyText(u, keys[3*i+2])
	}
	lo := sort.Search(n, func(i int) bool {
		_, t := at(i)
		return t >= name
	})
	var out []Unit
	for i := lo; i < n; i++ {
		u, t := at(i)
		if t != name {
			break
		}
		out = append(out, u)
	}
	return out
}

// readIndex reads the matcher of an index written by marshalIndex for
// g's table; one made from another table is refused.
func readIndex(g *Gazetteer) (*nameMatcher, error) {
	_, rest, err := g.sections()
	if err != nil {
		return nil, err
	}
	r := indexReader{s: rest}
	runes := make([]rune, r.u32())
	for i := range runes {
		runes[i] = rune(r.u32())
	}
	n := int(r.u32())
	if r.bad || n == 0 || n > len(r.s)/7 {
		return nil, errIndex
	}
	m := &Matcher{
		first: make([]int32, n), count: make([]int32, n), char: make([]rune, n),
		fail: make([]int32, n), out: make([]int32, n), link: make([]int32, n),
	}
	parent := make([]int32, n)
	next, names := int32(1), int32(0)
	for v := 0; v < n; v++ {
		ri, c := int(r.u16()), r.u16()
		if ri >= len(runes) {
			return nil, errIndex
		}
		m.char[v] = runes[ri]
		m.fail[v] = int32(r.u24())
		m.out[v] = -1
		if c&(1<<15) != 0 {
			m.out[v] = names
			names++
		}
		m.count[v] = int32(c &^ (1 << 15))
		m.first[v] = next
		for k := next; k < next+m.count[v] && int(k) < n; k++ {
			parent[k] = int32(v)
		}
		next += m.count[v]
		if int(m.fail[v]) >= n || (v > 0 && int(m.fail[v]) >= v) {
			return nil, errIndex
		}
	}
	if int(next) != n || r.bad {
		return nil, errIndex
	}
	for v := 1; v < n; v++ { // breadth first: a node's fail target comes before it
		if f := m.fail[v]; m.out[f] >= 0 {
			m.link[v] = f
		} else {
			m.link[v] = m.link[f]
		}
	}
	m.indexRoot()
	if r.u32() != uint32(names) {
		return nil, errIndex
	}
	// Every name's text, spelt out from its node up, in one string.
	var all []byte
	ends := make([]int, names)
	var path []rune
	for v := 0; v < n; v++ {
		if m.out[v] < 0 {
			continue
		}
		path = path[:0]
		for u := int32(v); u > 0; u = parent[u] {
			path = append(path, m.char[u])
		}
		for i := len(path) - 1; i >= 0; i-- {
			all = utf8.AppendRune(all, path[i])
		}
		ends[m.out[v]] = len(all)
	}
	texts := string(all)
	nm := &nameMatcher{m: m, names: make([]Name, names)}
	m.plen = make([]int, names)
	units := make([]int32, 0, names+names/4)
	for v := 0; v < n; v++ {
		p := m.out[v]
		if p < 0 {
			continue
		}
		start := 0
		if p > 0 {
			start = ends[p-1]
		}
		text := texts[start:ends[p]]
		form := Form(r.u8())
		k := r.uvarint()
		if r.bad || k == 0 || k > uint64(len(g.units)) {
			return nil, errIndex
		}
		first := len(units)
		for ; k > 0; k-- {
			id := int32(r.u16())
			if int(id) >= len(g.units) {
				return nil, errIndex
			}
			units = append(units, id)
		}
		nm.names[p] = Name{Text: text, Form: form, Units: units[first:len(units):len(units)]}
		m.plen[p] = len(text)
	}
	if r.bad || r.s != "" {
		return nil, errIndex
	}
	return nm, nil
}

// indexReader reads little-endian values off a string; a read past its
// end sets bad and returns zero.
type indexReader struct {
	s   string
	bad bool
}

func (r *indexReader) bytes(n int) string {
	if len(r.s) < n {
		r.bad, r.s = true, ""
		return ""
	}
	out := r.s[:n]
	r.s = r.s[n:]
	return out
}

func (r *indexReader) u8() uint8 {
	if b := r.bytes(1); b != "" {
		return b[0]
	}
	return 0
}

func (r *indexReader) u16() uint16 {
	b := r.bytes(2)
	if b == "" {
		return 0
	}
	return uint16(b[0]) | uint16(b[1])<<8
}

func (r *indexReader) u24() uint32 {
	b := r.bytes(3)
	if b == "" {
		return 0
	}
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
}

func (r *indexReader) u32() uint32 {
	b := r.bytes(4)
	if b == "" {
		return 0
	}
	return binary.LittleEndian.Uint32([]byte(b))
}

func (r *indexReader) u64() uint64 {
	b := r.bytes(8)
	if b == "" {
		return 0
	}
	return binary.LittleEndian.Uint64([]byte(b))
}

func (r *indexReader) uvarint() uint64 {
	var x uint64
	for shift := 0; shift < 64; shift += 7 {
		b := r.bytes(1)
		if b == "" {
			return 0
		}
		x |= uint64(b[0]&0x7f) << shift
		if b[0] < 0x80 {
			return x
		}
	}
	r.bad = true
	return 0
}
