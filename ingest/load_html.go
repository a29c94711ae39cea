package ingest

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// htmlSkip are elements whose content is never report text.
var htmlSkip = map[atom.Atom]bool{
	atom.Head: true, atom.Script: true, atom.Style: true, atom.Nav: true,
	atom.Header: true, atom.Footer: true, atom.Noscript: true, atom.Iframe: true,
	atom.Form: true, atom.Template: true, atom.Svg: true, atom.Button: true,
	atom.Select: true, atom.Object: true, atom.Embed: true,
}

// htmlBlock are elements that start and end a line.
var htmlBlock = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Table: true, atom.Tr: true, atom.Tbody: true, atom.Thead: true, atom.Tfoot: true,
	atom.Section: true, atom.Article: true, atom.Main: true, atom.Aside: true,
	atom.Blockquote: true, atom.Pre: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
	atom.Hr: true, atom.Figure: true, atom.Figcaption: true, atom.Address: true,
	atom.Center: true, atom.Caption: true, atom.Body: true, atom.Html: true,
	atom.Fieldset: true, atom.Details: true, atom.Summary: true,
}

// loadHTML extracts the body text of an HTML page. Block elements produce
// line breaks, table cells are separated by tabs, and page furniture
// (script, style, nav, header, footer, forms, frames) is dropped.
func loadHTML(name string, data []byte) (string, error) {
	doc, err := html.Parse(strings.NewReader(decodeHTML(data)))
	if err != nil {
		return "", loadErr(name, ErrCorrupt, err, "cannot parse HTML")
	}
	root := doc
	if body := findElement(doc, atom.Body); body != nil {
		root = body
	}
	w := &htmlText{}
	w.walk(root)
	return string(w.out), nil
}

// decodeHTML returns the page as UTF-8. Bytes that are valid UTF-8 are
// taken as such whatever the page declares (mislabelled pages are common);
// otherwise the BOM or <meta charset> decides, and an undeclared or Western
// charset is taken as GB18030, the superset of GBK and GB2312.
func decodeHTML(data []byte) string {
	if bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) {
		return string(data[3:])
	}
	if utf8.Valid(data) && !bytes.HasPrefix(data, []byte{0xFF, 0xFE}) && !bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return string(data)
	}
	enc, label, _ := charset.DetermineEncoding(data, "")
	switch label {
	case "gbk", "gb2312", "gb18030", "windows-1252", "":
		enc = simplifiedchinese.GB18030
	}
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return strings.ToValidUTF8(string(data), "\uFFFD")
	}
	return string(out)
}

// findElement returns the first element of type a in document order.
func findElement(n *html.Node, a atom.Atom) *html.Node {
	if n.Type == html.ElementNode && n.DataAtom == a {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findElement(c, a); f != nil {
			return f
		}
	}
	return nil
}

// htmlText accumulates rendered text with HTML white-space collapsing.
type htmlText struct {
	out     []byte
	last    rune // last rune written; 0 at start
	pending int  // 0 none, 1 space, 2 white space that contained a line break
	pre     int  // depth of <pre>
	cell    int  // depth of table cells: line breaks inside become spaces
}

func (w *htmlText) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.ElementNode:
		if htmlSkip[n.DataAtom] || hidden(n) {
			return
		}
	case html.DocumentNode:
	default:
		return
	}
	a := n.DataAtom
	if n.Type == html.ElementNode {
		switch {
		case a == atom.Br:
			w.newline()
			return
		case htmlBlock[a]:
			w.newline()
		}
		if a == atom.Pre {
			w.pre++
		}
		if a == atom.Td || a == atom.Th {
			w.cell++
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
	if n.Type == html.ElementNode {
		switch {
		case a == atom.Td || a == atom.Th:
			w.cell--
			w.pending = 0
			w.write('\t')
		case htmlBlock[a]:
			w.newline()
		}
		if a == atom.Pre {
			w.pre--
		}
	}
}

// hidden reports whether an element is not rendered or is marked as
// navigation.
func hidden(n *html.Node) bool {
	for _, at := range n.Attr {
		switch strings.ToLower(at.Key) {
		case "hidden":
			return true
		case "aria-hidden":
			if at.Val == "true" {
				return true
			}
		case "role":
			if v := strings.ToLower(at.Val); v == "navigation" || v == "banner" || v == "contentinfo" || v == "search" {
				return true
			}
		case "style":
			v := strings.ToLower(strings.ReplaceAll(at.Val, " ", ""))
			if strings.Contains(v, "display:none") || strings.Contains(v, "visibility:hidden") {
				return true
			}
		}
	}
	return false
}

// text writes a text node, collapsing white space outside <pre>. A run of
// white space that holds a line break and sits between two East Asian wide
// characters disappears, as browsers render it (CSS Text segment breaks).
func (w *htmlText) text(s string) {
	for _, r := range s {
		if w.pre > 0 {
			w.write(r)
			continue
		}
		switch r {
		case ' ', '\t', '\n', '\r', '\f':
			if r == '\n' || r == '\r' {
				w.pending = 2
			} else if w.pending == 0 {
				w.pending = 1
			}
			continue
		}
		if w.pending != 0 {
			atLineStart := w.last == 0 || w.last == '\n' || w.last == '\t'
			if !atLineStart && !(w.pending == 2 && isWide(w.last) && isWide(r)) {
				w.write(' ')
			}
			w.pending = 0
		}
		w.write(r)
	}
}

// newline ends the current line, without the tabs that closed its last
// table cell, unless it is already ended. Inside a table cell it only
// separates words, so that a row stays on one line.
func (w *htmlText) newline() {
	if w.cell > 0 {
		if w.last != '\t' && w.pending == 0 {
			w.pending = 1
		}
		return
	}
	w.pending = 0
	if w.pre == 0 {
		for len(w.out) > 0 && w.out[len(w.out)-1] == '\t' {
			w.out = w.out[:len(w.out)-1]
		}
	}
	w.last = 0
	if len(w.out) > 0 {
		w.last, _ = utf8.DecodeLastRune(w.out)
	}
	if w.last != 0 && w.last != '\n' {
		w.write('\n')
	}
}

func (w *htmlText) write(r rune) {
	w.out = utf8.AppendRune(w.out, r)
	w.last = r
}

// isWide reports whether r is a CJK ideograph, kana, hangul, a full-width
// form or CJK punctuation mark, or one of the quotes, dashes and ellipses
// that Chinese text sets at full width.
func isWide(r rune) bool {
	switch {
	case r < 0x1100:
		return false // before the first Hangul jamo nothing is wide
	case r >= 0x4E00 && r <= 0x9FFF:
		return true // CJK Unified Ideographs, the bulk of a Chinese text
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF) ||
		r == 0x2014 || r == 0x2026 || (r >= 0x2018 && r <= 0x201F)
}
