package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// Sentinel errors returned (wrapped) by Load and LoadBytes. Test for them
// with errors.Is; the error message itself names the file and the reason.
var (
	// ErrUnsupported means the file extension is not one Load can read.
	ErrUnsupported = errors.New("unsupported format")
	// ErrEmpty means the file is empty or holds no text after extraction.
	ErrEmpty = errors.New("no text")
	// ErrTooLarge means the file, or what it decompresses to, is over a Limits bound.
	ErrTooLarge = errors.New("too large")
	// ErrCorrupt means the content does not match its format or is damaged.
	ErrCorrupt = errors.New("corrupt or unreadable")
	// ErrToolMissing means the external program needed for the format is not installed.
	ErrToolMissing = errors.New("external tool missing")
)

// Limits bounds what a loader accepts. Zero fields mean the defaults.
type Limits struct {
	MaxFileBytes    int64 // default 50 MB (50<<20): larger files are rejected before reading
	MaxInflateBytes int64 // default 200 MB: cap on total decompressed bytes of a .docx's parts (zip bomb)
}

// DefaultLimits returns the limits used for zero fields of Limits.
func DefaultLimits() Limits {
	return Limits{MaxFileBytes: 50 << 20, MaxInflateBytes: 200 << 20}
}

// withDefaults fills zero (or negative) fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.MaxInflateBytes <= 0 {
		l.MaxInflateBytes = d.MaxInflateBytes
	}
	return l
}

// supportedExts lists the extensions Load understands, in the order error
// messages show them.
var supportedExts = []string{".txt", ".md", ".html", ".htm", ".docx", ".pdf", ".doc", ".wps"}

// Load reads the file at path and returns its raw text (not cleaned). The
// format comes from the extension (case-insensitive). The file size is
// checked before anything is read.
func Load(ctx context.Context, path string, lim Limits) (string, error) {
	lim = lim.withDefaults()
	name := filepath.Base(path)
	ext, err := formatOf(name)
	if err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("load %s: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("load %s: %w", name, err)
	}
	if st.IsDir() {
		return "", fmt.Errorf("load %s: is a directory", name)
	}
	if st.Size() > lim.MaxFileBytes {
		return "", tooLargeFile(name, st.Size(), lim.MaxFileBytes)
	}
	// Second guard: the file may have grown since Stat.
	data, err := io.ReadAll(io.LimitReader(f, lim.MaxFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("load %s: %w", name, err)
	}
	if int64(len(data)) > lim.MaxFileBytes {
		return "", tooLargeFile(name, int64(len(data)), lim.MaxFileBytes)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = ""
	}
	return load(ctx, name, ext, data, abs, lim)
}

// LoadBytes is Load for content already in memory (uploads); name gives the
// format and is used in error messages.
func LoadBytes(ctx context.Context, name string, data []byte, lim Limits) (string, error) {
	lim = lim.withDefaults()
	name = filepath.Base(name)
	ext, err := formatOf(name)
	if err != nil {
		return "", err
	}
	if int64(len(data)) > lim.MaxFileBytes {
		return "", tooLargeFile(name, int64(len(data)), lim.MaxFileBytes)
	}
	return load(ctx, name, ext, data, "", lim)
}

// formatOf returns the lower-case extension of name, or an ErrUnsupported
// error when Load cannot read it.
func formatOf(name string) (string, error) {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range supportedExts {
		if ext == e {
			return ext, nil
		}
	}
	supported := strings.Join(supportedExts, " ")
	if ext == "" {
		return "", loadErr(name, ErrUnsupported, nil, "no file extension to tell the format (supported: %s)", supported)
	}
	return "", loadErr(name, ErrUnsupported, nil, "unsupported format %q (supported: %s)", ext, supported)
}

// load dispatches on the extension. path, when not empty, is the absolute
// path of the same bytes on disk, so external tools can read it directly.
func load(ctx context.Context, name, ext string, data []byte, path string, lim Limits) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("load %s: %w", name, err)
	}
	if len(data) == 0 {
		return "", loadErr(name, ErrEmpty, nil, "empty file")
	}
	var (
		text string
		err  error
	)
	switch ext {
	case ".txt", ".md":
		text, err = decodeText(name, data)
	case ".html", ".htm":
		text, err = loadHTML(name, data)
	case ".docx":
		text, err = loadDocx(name, data, lim)
	case ".pdf":
		text, err = loadPDF(ctx, name, data, path, lim)
	case ".doc", ".wps":
		text, err = loadWord(ctx, name, ext, data, path, lim)
	}
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(strings.Map(dropInvisible, text)) == "" {
		return "", loadErr(name, ErrEmpty, nil, "%s", emptyReason(ext))
	}
	return text, nil
}

// emptyReason explains a document that yields no text.
func emptyReason(ext string) string {
	switch ext {
	case ".pdf":
		return "no text in PDF (a scanned image without a text layer? run OCR first)"
	case ".txt", ".md":
		return "file holds only whitespace"
	default:
		return "no text found in document"
	}
}

// dropInvisible maps characters that carry no text (BOM, zero-width
// spaces) to -1 so that emptiness checks ignore them.
func dropInvisible(r rune) rune {
	switch r {
	case '\uFEFF', '\u200B', '\u200C', '\u200D', '\u2060', '\u00A0', '\u3000':
		return -1
	}
	return r
}

// decodeText turns the bytes of a plain-text file into a string: UTF-8
// (BOM stripped) when valid, UTF-16 when it starts with a BOM, otherwise
// GB18030, which also covers GBK and GB2312.
func decodeText(name string, data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return strings.ToValidUTF8(string(data[3:]), "\uFFFD"), nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()
		out, err := dec.Bytes(data)
		if err != nil {
			return "", loadErr(name, ErrCorrupt, err, "bad UTF-16 text")
		}
		return strings.TrimPrefix(string(out), "\uFEFF"), nil
	}
	if looksBinary(data) {
		return "", loadErr(name, ErrCorrupt, nil, "binary data, not a text file")
	}
	if utf8.Valid(data) {
		return string(data), nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return "", loadErr(name, ErrCorrupt, err, "text is neither UTF-8 nor GB18030")
	}
	return string(out), nil
}

// looksBinary reports whether data has NUL bytes in its first few KB, which
// text in UTF-8 or a GB encoding never has.
func looksBinary(data []byte) bool {
	head := data[:min(len(data), 8<<10)]
	return bytes.IndexByte(head, 0) >= 0
}

// loadError is the error type of the loaders: a one-line message naming the
// file, matching a sentinel (kind) and optionally an underlying cause.
type loadError struct {
	name  string
	kind  error
	cause error
	msg   string
}

func (e *loadError) Error() string {
	s := "load " + e.name + ": " + e.msg
	if e.cause != nil {
		s += ": " + oneLine(e.cause.Error())
	}
	return s
}

func (e *loadError) Unwrap() []error {
	errs := []error{e.kind}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// loadErr builds a loadError; cause may be nil.
func loadErr(name string, kind, cause error, format string, args ...any) error {
	return &loadError{name: name, kind: kind, cause: cause, msg: oneLine(fmt.Sprintf(format, args...))}
}

// tooLargeFile is the ErrTooLarge error for a file over MaxFileBytes.
func tooLargeFile(name string, size, limit int64) error {
	return loadErr(name, ErrTooLarge, nil, "file is %s, over the %s limit", humanSize(size), humanSize(limit))
}

// humanSize formats a byte count as "300.0 MB", "12.5 KB" or "17 bytes".
func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// oneLine collapses a possibly multi-line message into a single line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
