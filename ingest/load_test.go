package ingest_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"fazhi/ingest"
)

// seedKeys are passages each seed's text must contain after loading and
// cleaning, whatever the format: the title or first heading, and a
// sentence stating figures.
var seedKeys = map[string][]string{
	"000_cd4b96a87fea5f69": {
		"渔门镇2020年度法治政府建设工作报告",
		"2020年共排查、调解各类矛盾纠纷368件，调解成功350件，调解成功率98%，办理回复12345市民热线111件",
	},
	"001_7e465fa291371142": {
		"一、2021年度推进法治政府建设的主要举措和成效。",
		"一年来开展党委中心组学习4次,会前学法12次,开展民主生活会1次,民主评议会1次,悬挂党风廉政建设宣传标语45幅。",
	},
	"002_36a972dc84b9d279": {
		"2021年度法治建设工作报告",
		"确保领导干部和机关事业单位干部年度学法时间不少于40小时。",
	},
	"003_77ad51e2d2cfaeb9": {
		"2020年法治政府建设工作情况报告",
		"2020年，镇村两级共排查调处矛盾纠纷46件，调成率99%，其中调处疑难复杂纠纷6件",
		"尤其是农村违法违规现象仍然时有发生。", // cut by a page break in the seed
	},
	"004_40507ad071df1468": {
		"关于拾万镇2021年法治政府建设情况的报告",
		"今年以来，共受理信访案件34宗，调处率100%。",
	},
}

// fixtureSeed returns the seed name a fixture file was made from.
func fixtureSeed(file string) string {
	base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	return strings.TrimSuffix(base, "_gb18030")
}

// skipIfToolMissing skips the test when err says an external converter is
// not installed; the message names the Debian package CI installs.
func skipIfToolMissing(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, ingest.ErrToolMissing) {
		t.Skipf("%v", err)
	}
}

func TestLoadFixtures(t *testing.T) {
	files, err := filepath.Glob("../testdata/formats/*.*")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, file := range files {
		ext := filepath.Ext(file)
		if ext == ".sh" {
			continue
		}
		seen[ext] = true
		t.Run(filepath.Base(file), func(t *testing.T) {
			ctx := context.Background()
			raw, err := ingest.Load(ctx, file, ingest.Limits{})
			skipIfToolMissing(t, err)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			seed := fixtureSeed(file)
			text := ingest.Clean(raw)
			for _, key := range seedKeys[seed] {
				if !strings.Contains(text, key) {
					t.Errorf("cleaned text lacks %q", key)
				}
			}
			// Whatever the format, the cleaned text has the sentences of
			// the cleaned seed, whole and in order: hard-wrapped PDF lines
			// and page breaks are rejoined, page furniture is gone. Spaces
			// are ignored: pdftotext adds one where the font changes
			// ("中心 APP") and drops one at a line end.
			golden := fixtureText(t, filepath.Join("testdata", "clean", seed+".golden"))
			got, want := spaceless(ingest.Sentences(text)), spaceless(ingest.Sentences(golden))
			if !slices.Equal(got, want) {
				t.Errorf("sentences differ from the cleaned seed:\n%s", firstSentenceDiff(got, want))
			}

			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			fromBytes, err := ingest.LoadBytes(ctx, filepath.Base(file), data, ingest.Limits{})
			if err != nil {
				t.Fatalf("LoadBytes: %v", err)
			}
			if fromBytes != raw {
				t.Errorf("LoadBytes and Load disagree:\n%s", firstLineDiff(fromBytes, raw))
			}
		})
	}
	for _, ext := range []string{".txt", ".html", ".docx", ".pdf", ".doc", ".wps"} {
		if !seen[ext] {
			t.Errorf("no %s fixture in testdata/formats (run testdata/formats/make.sh)", ext)
		}
	}
}

// spaceless returns the sentences with their spaces removed.
func spaceless(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ReplaceAll(s, " ", "")
	}
	return out
}

// firstSentenceDiff describes where two sentence lists part.
func firstSentenceDiff(got, want []string) string {
	for i := 0; i < len(got) || i < len(want); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return "sentence " + strconv.Itoa(i+1) + ":\n got: " + g + "\nwant: " + w
		}
	}
	return "(none)"
}

func TestLoadText(t *testing.T) {
	const want = "渔门镇2020年共排查、调解各类矛盾纠纷368件，调解成功率98%。\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(want)
	if err != nil {
		t.Fatal(err)
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(want)
	if err != nil {
		t.Fatal(err)
	}
	u16le, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(want)
	if err != nil {
		t.Fatal(err)
	}
	u16be, err := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().String(want)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file string
		data string
	}{
		{"utf-8", "a.txt", want},
		{"utf-8 with BOM", "a.txt", "\xEF\xBB\xBF" + want},
		{"gb18030", "a.txt", gb},
		{"gbk", "a.TXT", gbk},
		{"utf-16le with BOM", "a.txt", u16le},
		{"utf-16be with BOM", "a.txt", u16be},
		{"markdown", "a.md", want},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ingest.LoadBytes(context.Background(), tt.file, []byte(tt.data), ingest.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestLoadHTML(t *testing.T) {
	gbkPage, err := simplifiedchinese.GBK.NewEncoder().String(`<html><head><meta charset="gbk"><title>标题</title></head><body><p>调解成功率98%。</p></body></html>`)
	if err != nil {
		t.Fatal(err)
	}
	undeclared, err := simplifiedchinese.GBK.NewEncoder().String(`<p>未声明编码的页面。</p>`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		html string
		want string
	}{
		{
			name: "page furniture dropped",
			html: `<html><head><title>T</title><style>p{color:red}</style><script>var a="脚本";</script></head>
<body><header>网站头部</header><nav><a href="/">首页</a></nav>
<div class="content"><h1>报告标题</h1><p>正文一。</p><script>document.write("统计")</script>
<div>正文二<br>第二行</div></div>
<footer>版权所有</footer><noscript>请开启脚本</noscript><iframe src="x">框架</iframe>
<form><input name="q"><button>搜索</button></form></body></html>`,
			want: "报告标题\n正文一。\n正文二\n第二行\n",
		},
		{
			name: "table rows on lines, cells tab-separated",
			html: `<table><tr><th>项目</th><th>数量</th></tr><tr><td><p>调解</p><p>纠纷</p></td><td>368件</td></tr></table>`,
			want: "项目\t数量\n调解 纠纷\t368件\n",
		},
		{
			name: "source line breaks vanish between CJK and become spaces between words",
			html: "<p>全面推进\n  依法行政，\nrule of\nlaw</p>",
			want: "全面推进依法行政， rule of law\n", // as browsers render it; Clean drops the space

		},
		{
			name: "hidden elements dropped",
			html: `<p>可见。</p><div style="display: none">隐藏一</div><div hidden>隐藏二</div><ul role="navigation"><li>导航</li></ul>`,
			want: "可见。\n",
		},
		{
			name: "pre keeps white space",
			html: "<pre>第一行\n  第二行</pre>",
			want: "第一行\n  第二行\n",
		},
		{name: "meta charset gbk", html: gbkPage, want: "调解成功率98%。\n"},
		{name: "undeclared GBK", html: undeclared, want: "未声明编码的页面。\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ingest.LoadBytes(context.Background(), "page.html", []byte(tt.html), ingest.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// docxBytes builds a minimal .docx whose main part holds body (the content
// of w:body).
func docxBytes(tb testing.TB, body string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, content string) {
		w, err := zw.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write([]byte(content)); err != nil {
			tb.Fatal(err)
		}
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>`)
	add("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`)
	add("word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>`+body+`</w:body></w:document>`)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestLoadDocx(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{
			name: "paragraphs and runs",
			body: `<w:p><w:r><w:t>渔门镇</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">2020 年</w:t></w:r></w:p><w:p><w:r><w:t>第二段。</w:t></w:r></w:p>`,
			want: "渔门镇2020 年\n第二段。\n",
		},
		{
			name: "tab and break",
			body: `<w:p><w:r><w:t>甲</w:t><w:tab/><w:t>乙</w:t><w:br/><w:t>丙</w:t></w:r></w:p>`,
			want: "甲\t乙\n丙\n",
		},
		{
			name: "table cells in document order",
			body: `<w:p><w:r><w:t>表前。</w:t></w:r></w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>项目</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>数量</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t>调解</w:t></w:r></w:p><w:p><w:r><w:t>纠纷</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>368件</w:t></w:r></w:p></w:tc></w:tr></w:tbl><w:p><w:r><w:t>表后。</w:t></w:r></w:p>`,
			want: "表前。\n项目\t数量\n调解 纠纷\t368件\n表后。\n",
		},
		{
			name: "deleted text and field codes ignored",
			body: `<w:p><w:del><w:r><w:delText>删除的</w:delText></w:r></w:del><w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:t>保留。</w:t></w:r></w:p>`,
			want: "保留。\n",
		},
		{
			name: "text box fallback not duplicated",
			body: `<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent><w:p><w:r><w:t>文本框。</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>文本框。</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>`,
			want: "文本框。\n\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ingest.LoadBytes(context.Background(), "r.docx", docxBytes(t, tt.body), ingest.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// blankPDF is a one-page PDF without text, like a scan without OCR.
const blankPDF = `%PDF-1.4
1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj
trailer<</Root 1 0 R>>
%%EOF
`

// zipBomb returns a .docx whose document.xml inflates to about n bytes.
func zipBomb(tb testing.TB, n int) []byte {
	tb.Helper()
	para := `<w:p><w:r><w:t>法治政府建设</w:t></w:r></w:p>`
	return docxBytes(tb, strings.Repeat(para, n/len(para)+1))
}

// randomBytes returns n reproducible pseudo-random bytes.
func randomBytes(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

func TestLoadBadInput(t *testing.T) {
	docx, err := os.ReadFile("../testdata/formats/004_40507ad071df1468.docx")
	if err != nil {
		t.Fatal(err)
	}
	noDocument := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("xl/workbook.xml")
		w.Write([]byte("<workbook/>"))
		zw.Close()
		return buf.Bytes()
	}()
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, randomBytes(4096)...)
	tests := []struct {
		name     string
		file     string
		data     []byte
		lim      ingest.Limits
		want     error
		msg      string // exact message; empty to check only the prefix
		needsExt bool   // uses an external tool: skipped when it is missing
		slow     bool   // runs LibreOffice: skipped with -short
	}{
		{name: "empty txt", file: "a.txt", data: nil, want: ingest.ErrEmpty, msg: "load a.txt: empty file"},
		{name: "whitespace txt", file: "blank.txt", data: []byte(" \r\n\u3000\n\t"), want: ingest.ErrEmpty, msg: "load blank.txt: file holds only whitespace"},
		{name: "binary txt", file: "bin.txt", data: []byte("abc\x00\x01\x02"), want: ingest.ErrCorrupt, msg: "load bin.txt: binary data, not a text file"},
		{name: "truncated docx", file: "report.docx", data: docx[:len(docx)/2], want: ingest.ErrCorrupt, msg: "load report.docx: truncated or corrupt docx: zip: not a valid zip file"},
		{name: "docx without document", file: "sheet.docx", data: noDocument, want: ingest.ErrCorrupt, msg: "load sheet.docx: not a Word document: word/document.xml missing"},
		{name: "docx with broken XML", file: "bad.docx", data: docxBytes(t, "<w:p><w:r><w:t>未闭合</w:r></w:p>"), want: ingest.ErrCorrupt},
		{name: "empty docx", file: "empty.docx", data: docxBytes(t, "<w:p/>"), want: ingest.ErrEmpty, msg: "load empty.docx: no text found in document"},
		{name: "zip bomb docx", file: "bomb.docx", data: zipBomb(t, 4<<20), lim: ingest.Limits{MaxInflateBytes: 1 << 20}, want: ingest.ErrTooLarge, msg: "load bomb.docx: decompressed content is over the 1.0 MB limit (zip bomb?)"},
		{name: "random bytes as pdf", file: "x.pdf", data: randomBytes(2048), want: ingest.ErrCorrupt, msg: "load x.pdf: not a PDF"},
		{name: "damaged pdf", file: "d.pdf", data: append([]byte("%PDF-1.4\n"), randomBytes(2048)...), want: ingest.ErrCorrupt, needsExt: true},
		{name: "pdf without text", file: "scan.pdf", data: []byte(blankPDF), want: ingest.ErrEmpty, msg: "load scan.pdf: no text in PDF (a scanned image without a text layer? run OCR first)", needsExt: true},
		{name: "random bytes as doc", file: "r.doc", data: randomBytes(2048), want: ingest.ErrCorrupt, msg: "load r.doc: not a Word document (no OLE2 signature)"},
		{name: "damaged OLE doc", file: "o.doc", data: ole, want: ingest.ErrCorrupt, needsExt: true, slow: true},
		{name: "unknown extension", file: "y.xyz", data: []byte("text"), want: ingest.ErrUnsupported, msg: `load y.xyz: unsupported format ".xyz" (supported: .txt .md .html .htm .docx .pdf .doc .wps)`},
		{name: "no extension", file: "README", data: []byte("text"), want: ingest.ErrUnsupported, msg: "load README: no file extension to tell the format (supported: .txt .md .html .htm .docx .pdf .doc .wps)"},
		{name: "over size", file: "big.txt", data: bytes.Repeat([]byte("法"), 700), lim: ingest.Limits{MaxFileBytes: 1000}, want: ingest.ErrTooLarge, msg: "load big.txt: file is 2.1 KB, over the 1000 bytes limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.slow && testing.Short() {
				t.Skip("runs LibreOffice; skipped with -short")
			}
			// Through LoadBytes and through Load on a file of that name;
			// external tools get the same input either way, so run them once.
			path := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			hows := []string{"LoadBytes", "Load"}
			if tt.needsExt {
				hows = hows[:1]
			}
			for _, how := range hows {
				var err error
				if how == "Load" {
					_, err = ingest.Load(context.Background(), path, tt.lim)
				} else {
					_, err = ingest.LoadBytes(context.Background(), tt.file, tt.data, tt.lim)
				}
				if tt.needsExt {
					skipIfToolMissing(t, err)
				}
				if !errors.Is(err, tt.want) {
					t.Fatalf("%s: got error %v, want %v", how, err, tt.want)
				}
				msg := err.Error()
				if tt.msg != "" && msg != tt.msg {
					t.Errorf("%s: got message %q, want %q", how, msg, tt.msg)
				}
				if !strings.HasPrefix(msg, "load "+tt.file+": ") || strings.Contains(msg, "\n") {
					t.Errorf("%s: message %q is not one line naming the file", how, msg)
				}
			}
		})
	}
}

func TestLoadChecksSizeBeforeReading(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.txt")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse 300 MB file: reading it would take time and memory, Stat does not.
	if err := f.Truncate(300 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = ingest.Load(context.Background(), path, ingest.Limits{})
	if !errors.Is(err, ingest.ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	if want := "load big.txt: file is 300.0 MB, over the 50.0 MB limit"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

func TestLoadToolMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no converters on PATH
	tests := []struct {
		file string
		msg  string
	}{
		{"000_cd4b96a87fea5f69.pdf", "load 000_cd4b96a87fea5f69.pdf: pdftotext not found: install the Debian package poppler-utils (and poppler-data)"},
		{"000_cd4b96a87fea5f69.doc", "load 000_cd4b96a87fea5f69.doc: no converter for .doc found: install one of the Debian packages antiword, catdoc or libreoffice-writer-nogui"},
		{"004_40507ad071df1468.wps", "load 004_40507ad071df1468.wps: no converter for .wps found: install one of the Debian packages antiword, catdoc or libreoffice-writer-nogui"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := ingest.Load(context.Background(), filepath.Join("../testdata/formats", tt.file), ingest.Limits{})
			if !errors.Is(err, ingest.ErrToolMissing) {
				t.Fatalf("got %v, want ErrToolMissing", err)
			}
			if err.Error() != tt.msg {
				t.Errorf("got %q, want %q", err, tt.msg)
			}
		})
	}
}

func TestLoadCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, file := range []string{"000_cd4b96a87fea5f69_gb18030.txt", "000_cd4b96a87fea5f69.pdf"} {
		_, err := ingest.Load(ctx, filepath.Join("../testdata/formats", file), ingest.Limits{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: got %v, want context.Canceled", file, err)
		}
	}
}

func TestLoadWordLookalikes(t *testing.T) {
	docx, err := os.ReadFile("../testdata/formats/002_36a972dc84b9d279.docx")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file string
		data []byte
		want string
	}{
		{"docx saved as .doc", "a.doc", docx, "2021 年度法治建设工作报告"},
		{"web page saved as .doc", "b.doc", []byte("<html><body><p>另存为网页的报告。</p></body></html>"), "另存为网页的报告。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ingest.LoadBytes(context.Background(), tt.file, tt.data, ingest.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("text lacks %q:\n%.200s", tt.want, got)
			}
		})
	}
}

func TestDefaultLimits(t *testing.T) {
	got := ingest.DefaultLimits()
	if got.MaxFileBytes != 50<<20 || got.MaxInflateBytes != 200<<20 {
		t.Errorf("got %+v, want 50 MB and 200 MB", got)
	}
}

func FuzzLoadDocx(f *testing.F) {
	real, err := os.ReadFile("../testdata/formats/004_40507ad071df1468.docx")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(real)
	f.Add(real[:len(real)/2])
	f.Add(docxBytes(f, `<w:p><w:r><w:t>甲</w:t><w:tab/><w:t>乙</w:t></w:r></w:p><w:tbl><w:tr><w:tc><w:p/></w:tc></w:tr></w:tbl>`))
	f.Add([]byte("PK\x03\x04"))
	lim := ingest.Limits{MaxFileBytes: 1 << 20, MaxInflateBytes: 4 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		text, err := ingest.LoadBytes(context.Background(), "f.docx", data, lim)
		if err != nil {
			if !errors.Is(err, ingest.ErrCorrupt) && !errors.Is(err, ingest.ErrEmpty) && !errors.Is(err, ingest.ErrTooLarge) {
				t.Fatalf("error matches no sentinel: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "load f.docx: ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("message %q is not one line naming the file", err)
			}
			return
		}
		if strings.TrimSpace(text) == "" {
			t.Fatal("no error but no text")
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	for _, file := range []string{
		"001_7e465fa291371142_gb18030.txt",
		"001_7e465fa291371142.html",
		"001_7e465fa291371142.docx",
		"001_7e465fa291371142.pdf",
		"001_7e465fa291371142.doc",
	} {
		b.Run(filepath.Ext(file), func(b *testing.B) {
			path := filepath.Join("../testdata/formats", file)
			if _, err := ingest.Load(context.Background(), path, ingest.Limits{}); errors.Is(err, ingest.ErrToolMissing) {
				b.Skipf("%v", err)
			}
			for b.Loop() {
				if _, err := ingest.Load(context.Background(), path, ingest.Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
