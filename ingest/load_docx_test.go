package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"testing"
)

func TestBudgetReader(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		budget  int64
		wantErr error
	}{
		{"under budget", 100, 200, nil},
		{"exactly the budget", 100, 100, nil},
		{"over budget", 101, 100, errInflateLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &budgetReader{r: strings.NewReader(strings.Repeat("x", tt.size)), left: tt.budget}
			got, err := io.ReadAll(b)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && len(got) != tt.size {
				t.Errorf("read %d bytes, want %d", len(got), tt.size)
			}
		})
	}
}

// zipWith builds a zip archive from name/content pairs.
func zipWith(t *testing.T, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(files); i += 2 {
		w, err := zw.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, files[i+1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const testDocXML = `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>正文。</w:t></w:r></w:p></w:body></w:document>`

func TestLoadDocxMainPartFromRelationships(t *testing.T) {
	data := zipWith(t,
		"_rels/.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="/word/document2.xml"/></Relationships>`,
		"word/document2.xml", testDocXML,
	)
	got, err := loadDocx("r.docx", data, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if got != "正文。\n" {
		t.Errorf("got %q, want %q", got, "正文。\n")
	}
}

// TestLoadDocxLyingSizes checks a zip bomb whose headers understate the
// inflated size: it is rejected without being inflated in full.
func TestLoadDocxLyingSizes(t *testing.T) {
	big := strings.Repeat(`<w:p><w:r><w:t>法治</w:t></w:r></w:p>`, 200_000) // about 7 MB
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestCompression)
	io.WriteString(fw, big)
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name:               "word/document.xml",
		Method:             zip.Deflate,
		CRC32:              crc32.ChecksumIEEE([]byte(big)),
		CompressedSize64:   uint64(deflated.Len()),
		UncompressedSize64: 1000, // a lie
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(deflated.Bytes())
	zw.Close()

	_, err = loadDocx("lie.docx", buf.Bytes(), Limits{MaxFileBytes: 1 << 20, MaxInflateBytes: 1 << 20})
	if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v, want ErrTooLarge or ErrCorrupt", err)
	}
	if !strings.HasPrefix(err.Error(), "load lie.docx: ") {
		t.Errorf("message %q does not name the file", err)
	}
}

func TestLooksGarbled(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"渔门镇2020年共排查、调解各类矛盾纠纷368件。", false},
		{"综治•网格化服务管理中心，温度25°，张·三，3×4。", false},
		{"R\nR\n0Ä‰š[„v\nÅ_{˜为，法无授权不可为。", true},
		{"\uE011\uB1A1\uE11A\uACB2\uFFFD文字", true},
	}
	for _, tt := range tests {
		if got := looksGarbled(tt.text); got != tt.want {
			t.Errorf("looksGarbled(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}
