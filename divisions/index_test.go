package divisions

import (
	"flag"
	"os"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite names.idx from the table and the name rules")

// withIndex parses the embedded table and attaches data as its index.
func withIndex(tb testing.TB, data string) *Gazetteer {
	tb.Helper()
	g, err := Parse(table)
	if err != nil {
		tb.Fatal(err)
	}
	g.index = data
	return g
}

// TestIndexFile checks that the embedded names.idx is the matcher and
// name keys built from today's table and name rules, read back
// identically; -update rewrites it.
func TestIndexFile(t *testing.T) {
	plain := withIndex(t, "")
	built := plain.buildNames()
	b, err := built.marshalIndex(plain)
	if err != nil {
		t.Fatal(err)
	}
	data := index
	if *update {
		if err := os.WriteFile("names.idx", b, 0o644); err != nil {
			t.Fatal(err)
		}
		data = string(b)
		t.Logf("wrote names.idx: %d bytes", len(b))
	} else if string(b) != index {
		t.Fatalf("names.idx (%d bytes) is not the build of today's table and name rules (%d bytes): run go generate ./divisions", len(index), len(b))
	}
	g := withIndex(t, data)
	read, err := readIndex(g)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(read.m, built.m) {
		t.Error("the matcher read from names.idx differs from the one built")
	}
	if !reflect.DeepEqual(read.names, built.names) {
		t.Error("the names read from names.idx differ from the ones built")
	}
	// Every name any unit goes by finds the same units through the index
	// as through the map built without it.
	n := 0
	for _, u := range plain.units {
		for _, k := range nameKeys(u) {
			n++
			if got, want := g.Named(k.text), plain.Named(k.text); !reflect.DeepEqual(got, want) {
				t.Fatalf("Named(%s): %d units through the index, %d through the map", k.text, len(got), len(want))
			}
		}
	}
	for _, name := range []string{"", "不是地名", "东溪镇东", "\xff"} {
		if got := g.Named(name); len(got) != 0 {
			t.Errorf("Named(%q) = %v, want none", name, got)
		}
	}
	if _, _, err := g.sections(); err != nil || n < 80000 {
		t.Errorf("index sections: %v; %d names checked", err, n)
	}
}

// TestIndexRejected checks that a damaged index, or one made for another
// table, is refused and the matcher and name lookup built instead.
func TestIndexRejected(t *testing.T) {
	for name, data := range map[string]string{
		"truncated":   index[:len(index)/2],
		"no magic":    "x" + index[1:],
		"extra bytes": index + "x",
		"empty":       "",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := readIndex(withIndex(t, data)); err == nil {
				t.Error("readIndex accepted it")
			}
		})
	}
	other, err := Parse("11北京市\n1101市辖区\n110101东城区\n001东华门街道\n")
	if err != nil {
		t.Fatal(err)
	}
	other.index = index // the embedded table's index, on another table
	if _, err := readIndex(other); err == nil {
		t.Error("readIndex accepted the index of another table")
	}
	found := false
	for _, f := range other.Find("东华门街道") {
		found = found || f.Name.Text == "东华门街道"
	}
	if !found {
		t.Error("Find on a gazetteer whose index was refused misses 东华门街道")
	}
	if us := other.Named("东华门"); len(us) != 1 || us[0].Code != "110101001" {
		t.Errorf("Named(东华门) on a gazetteer whose index was refused = %v", us)
	}
}

// BenchmarkMatcherRead is the gazetteer's first use today: parse the
// table and read the precomputed matcher (compare BenchmarkMatcherBuild,
// which builds it as before).
func BenchmarkMatcherRead(b *testing.B) {
	for i := 0; i < b.N; i++ {
		withIndex(b, index).Find("东溪镇")
	}
}

// BenchmarkNamedFirst is the first name lookup: through the index, and
// through the map built without one (as before).
func BenchmarkNamedFirst(b *testing.B) {
	b.Run("index", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			withIndex(b, index).Named("东溪镇")
		}
	})
	b.Run("map", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			withIndex(b, "").Named("东溪镇")
		}
	})
}
