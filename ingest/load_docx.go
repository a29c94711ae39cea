package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strings"
)

// WordprocessingML namespaces: transitional (what Word writes) and strict.
const (
	nsW       = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	nsWStrict = "http://purl.oclc.org/ooxml/wordprocessingml/main"
	nsMC      = "http://schemas.openxmlformats.org/markup-compatibility/2006"
)

// errInflateLimit is returned by budgetReader once the archive has inflated
// past MaxInflateBytes.
var errInflateLimit = errors.New("inflate limit reached")

// loadDocx extracts the text of a .docx: the paragraphs of the main
// document part in order, one per line; w:tab gives a tab and w:br a line
// break; table cells keep document order, cells of a row separated by a
// tab, each row on its own line. Only the standard library is used.
func loadDocx(name string, data []byte, lim Limits) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", loadErr(name, ErrCorrupt, err, "truncated or corrupt docx")
	}
	budget := &budgetReader{left: lim.MaxInflateBytes}
	bomb := func() error {
		return loadErr(name, ErrTooLarge, nil, "decompressed content is over the %s limit (zip bomb?)", humanSize(lim.MaxInflateBytes))
	}
	var declared uint64
	for _, f := range zr.File {
		declared += f.UncompressedSize64
	}
	if declared > uint64(lim.MaxInflateBytes) {
		return "", bomb()
	}

	main := mainDocumentPart(zr, budget)
	f := findZipFile(zr, main)
	if f == nil {
		return "", loadErr(name, ErrCorrupt, nil, "not a Word document: %s missing", main)
	}
	rc, err := f.Open()
	if err != nil {
		return "", loadErr(name, ErrCorrupt, err, "truncated or corrupt docx")
	}
	defer rc.Close()
	budget.r = rc
	text, err := docxText(budget)
	switch {
	case errors.Is(err, errInflateLimit):
		return "", bomb()
	case err != nil:
		return "", loadErr(name, ErrCorrupt, err, "truncated or corrupt docx")
	}
	return text, nil
}

// mainDocumentPart returns the zip path of the main document, as named by
// the package relationships; "word/document.xml" when they say nothing.
func mainDocumentPart(zr *zip.Reader, budget *budgetReader) string {
	const fallback = "word/document.xml"
	f := findZipFile(zr, "_rels/.rels")
	if f == nil {
		return fallback
	}
	rc, err := f.Open()
	if err != nil {
		return fallback
	}
	defer rc.Close()
	budget.r = rc
	var rels struct {
		Rel []struct {
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := xml.NewDecoder(budget).Decode(&rels); err != nil {
		return fallback
	}
	for _, r := range rels.Rel {
		if strings.HasSuffix(r.Type, "/officeDocument") && r.Target != "" {
			return strings.TrimPrefix(path.Clean("/"+r.Target), "/")
		}
	}
	return fallback
}

// findZipFile returns the archive member called name, or nil.
func findZipFile(zr *zip.Reader, name string) *zip.File {
	for _, f := range zr.File {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// budgetReader reads from r while counting against a byte budget shared by
// all the parts of one archive.
type budgetReader struct {
	r    io.Reader
	left int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, errInflateLimit
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, errInflateLimit
	}
	return n, err
}

// docxText streams WordprocessingML and writes its text.
func docxText(r io.Reader) (string, error) {
	d := xml.NewDecoder(r)
	var (
		out       []byte
		inText    bool
		tblDepth  int
		skipDepth int // >0 while inside mc:Fallback, whose content duplicates mc:Choice
	)
	trimRight := func(cut string) {
		for len(out) > 0 && strings.IndexByte(cut, out[len(out)-1]) >= 0 {
			out = out[:len(out)-1]
		}
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if skipDepth > 0 {
				skipDepth++
				continue
			}
			if t.Name.Space == nsMC && t.Name.Local == "Fallback" {
				skipDepth = 1
				continue
			}
			if !isW(t.Name) {
				continue
			}
			switch t.Name.Local {
			case "t":
				inText = true
			case "tab", "ptab":
				out = append(out, '\t')
			case "br", "cr":
				if tblDepth > 0 {
					out = append(out, ' ')
				} else {
					out = append(out, '\n')
				}
			case "noBreakHyphen":
				out = append(out, '-')
			case "tbl":
				if tblDepth == 0 && len(out) > 0 && out[len(out)-1] != '\n' {
					out = append(out, '\n')
				}
				tblDepth++
			}
		case xml.EndElement:
			if skipDepth > 0 {
				skipDepth--
				continue
			}
			if !isW(t.Name) {
				continue
			}
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				if tblDepth > 0 {
					trimRight(" ")
					out = append(out, ' ')
				} else {
					out = append(out, '\n')
				}
			case "tc":
				trimRight(" ")
				out = append(out, '\t')
			case "tr":
				trimRight(" \t")
				if tblDepth > 1 {
					out = append(out, ' ')
				} else {
					out = append(out, '\n')
				}
			case "tbl":
				tblDepth--
			}
		case xml.CharData:
			if inText && skipDepth == 0 {
				out = append(out, t...)
			}
		}
	}
	return string(out), nil
}

// isW reports whether n is in a WordprocessingML namespace.
func isW(n xml.Name) bool {
	return n.Space == nsW || n.Space == nsWStrict
}
