package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Debian packages that provide the external converters, as error messages
// name them.
const (
	pkgPDF  = "poppler-utils (and poppler-data)"
	pkgWord = "antiword, catdoc or libreoffice-writer-nogui"
)

// oleMagic starts every OLE2 compound file: .doc, most .wps, .xls, ...
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// errOutputLimit is returned by runTool when a converter writes more than
// the allowed amount of text.
var errOutputLimit = errors.New("converter output over limit")

// loadPDF extracts the text of a PDF with poppler's pdftotext in its
// default reading-order mode (better than -layout for single-column
// Chinese: no padding spaces, lines in reading order; the two give the
// same characters). Lines come out hard-wrapped; Clean rejoins them.
func loadPDF(ctx context.Context, name string, data []byte, path string, lim Limits) (string, error) {
	if !bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")) {
		return "", loadErr(name, ErrCorrupt, nil, "not a PDF")
	}
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		return "", loadErr(name, ErrToolMissing, nil, "pdftotext not found: install the Debian package %s", pkgPDF)
	}
	var (
		out    []byte
		inPath string
	)
	err = withInputFile(data, path, ".pdf", func(in string) error {
		var err error
		inPath = in
		out, _, err = runTool(ctx, bin, []string{"-enc", "UTF-8", in, "-"}, lim.MaxInflateBytes)
		return err
	})
	if err != nil {
		return "", toolErr(ctx, name, lim, err, "pdftotext failed: "+cleanToolMsg(err, inPath, name))
	}
	return strings.ToValidUTF8(string(out), "\uFFFD"), nil
}

// wordTool is one way of turning a legacy Word/WPS file into text.
type wordTool struct {
	progs []string // candidate program names, first found on PATH wins
	run   func(ctx context.Context, bin, in string, lim Limits) ([]byte, error)
}

// antiword and catdoc read OLE2 Word files. antiword comes first: on
// Chinese .doc files catdoc garbles runs of text that antiword reads
// correctly.
var (
	antiwordTool = wordTool{progs: []string{"antiword"}, run: func(ctx context.Context, bin, in string, lim Limits) ([]byte, error) {
		out, _, err := runTool(ctx, bin, []string{"-w", "0", "-m", "UTF-8.txt", in}, lim.MaxInflateBytes)
		return out, err
	}}
	catdocTool = wordTool{progs: []string{"catdoc"}, run: func(ctx context.Context, bin, in string, lim Limits) ([]byte, error) {
		out, _, err := runTool(ctx, bin, []string{"-w", "-d", "utf-8", in}, lim.MaxInflateBytes)
		return out, err
	}}
)

// sofficeTool converts with headless LibreOffice, slowest but able to read
// nearly everything. filter names LibreOffice's import filter; empty lets
// it guess, and it then reads files it cannot parse as plain text, which
// convertWord rejects as garbled.
func sofficeTool(filter string) wordTool {
	return wordTool{progs: []string{"soffice", "libreoffice"}, run: func(ctx context.Context, bin, in string, lim Limits) ([]byte, error) {
		return runSoffice(ctx, bin, filter, in, lim)
	}}
}

// loadWord extracts the text of a .doc or .wps file. The content decides
// how: OLE2 files go through the converters in wordTools; a zip is a .docx
// under the wrong name; RTF goes to LibreOffice; HTML saved as .doc is read
// as HTML.
func loadWord(ctx context.Context, name, ext string, data []byte, path string, lim Limits) (string, error) {
	head := data[:min(len(data), 1024)]
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF}), " \t\r\n")
	switch {
	case bytes.HasPrefix(data, oleMagic):
		filter := "MS Word 97"
		if ext == ".wps" {
			filter = "" // Kingsoft WPS or Microsoft Works: let LibreOffice tell
		}
		return convertWord(ctx, name, ext, data, path, lim, []wordTool{antiwordTool, catdocTool, sofficeTool(filter)})
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return loadDocx(name, data, lim)
	case bytes.HasPrefix(trimmed, []byte(`{\rtf`)):
		return convertWord(ctx, name, ext, data, path, lim, []wordTool{sofficeTool("Rich Text Format")})
	case bytes.HasPrefix(trimmed, []byte("<")) && bytes.Contains(bytes.ToLower(head), []byte("<html")):
		return loadHTML(name, data)
	case ext == ".wps":
		// Not OLE2: an older Kingsoft or Works file; only LibreOffice may read it.
		return convertWord(ctx, name, ext, data, path, lim, []wordTool{sofficeTool("")})
	}
	return "", loadErr(name, ErrCorrupt, nil, "not a Word document (no OLE2 signature)")
}

// convertWord tries each tool in turn and returns the first non-empty
// text that is not garbled. When all fail, the error lists why each did.
func convertWord(ctx context.Context, name, ext string, data []byte, path string, lim Limits, tools []wordTool) (string, error) {
	var (
		found    []string
		failures []string
		text     string
	)
	err := withInputFile(data, path, ext, func(in string) error {
		for _, t := range tools {
			bin, prog := lookPathAny(t.progs)
			if bin == "" {
				continue
			}
			found = append(found, prog)
			out, err := t.run(ctx, bin, in, lim)
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, errOutputLimit) {
					return err
				}
				failures = append(failures, prog+": "+cleanToolMsg(err, in, name))
				continue
			}
			s := strings.ToValidUTF8(string(bytes.TrimPrefix(out, []byte{0xEF, 0xBB, 0xBF})), "\uFFFD")
			if strings.TrimSpace(s) == "" {
				continue
			}
			if looksGarbled(s) {
				failures = append(failures, prog+": output is garbled")
				continue
			}
			text = s
			return nil
		}
		return nil
	})
	switch {
	case err != nil:
		return "", toolErr(ctx, name, lim, err, strings.Join(found, "/")+" failed: "+err.Error())
	case text != "":
		return text, nil
	case len(found) == 0:
		return "", loadErr(name, ErrToolMissing, nil, "no converter for %s found: install one of the Debian packages %s", ext, pkgWord)
	case len(failures) > 0:
		return "", loadErr(name, ErrCorrupt, nil, "cannot read it as %s (damaged file or unknown variant of the format): %s", ext, strings.Join(failures, "; "))
	}
	return "", nil // every tool ran and found no text: the caller reports ErrEmpty
}

// lookPathAny returns the path and name of the first program found on PATH.
func lookPathAny(progs []string) (bin, prog string) {
	for _, p := range progs {
		if b, err := exec.LookPath(p); err == nil {
			return b, p
		}
	}
	return "", ""
}

// runSoffice converts in to UTF-8 text with headless LibreOffice, using a
// private throw-away profile so that concurrent runs and a user's running
// office do not interfere.
func runSoffice(ctx context.Context, bin, filter, in string, lim Limits) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "fazhi-soffice-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	profile := url.URL{Scheme: "file", Path: filepath.Join(tmp, "profile")}
	outDir := filepath.Join(tmp, "out")
	args := []string{
		"--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
		"-env:UserInstallation=" + profile.String(),
	}
	if filter != "" {
		args = append(args, "--infilter="+filter)
	}
	args = append(args, "--convert-to", "txt:Text (encoded):UTF8", "--outdir", outDir, in)
	_, diag, err := runTool(ctx, bin, args, 1<<20)
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
	outFile := filepath.Join(outDir, base+".txt")
	st, err := os.Stat(outFile)
	if err != nil {
		if diag == "" {
			diag = "no output"
		}
		return nil, &toolFailure{msg: "could not convert: " + diag}
	}
	if st.Size() > lim.MaxInflateBytes {
		return nil, errOutputLimit
	}
	return os.ReadFile(outFile)
}

// withInputFile calls fn with a path holding data: path itself when the
// bytes came from disk, else a temporary file (removed afterwards) named
// with the given extension, which tools such as LibreOffice look at.
func withInputFile(data []byte, path, ext string, fn func(in string) error) error {
	if path != "" && filepath.IsAbs(path) {
		return fn(path)
	}
	tmp, err := os.MkdirTemp("", "fazhi-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	in := filepath.Join(tmp, "input"+ext)
	if err := os.WriteFile(in, data, 0o600); err != nil {
		return err
	}
	return fn(in)
}

// runTool runs bin with args and returns its standard output, which may be
// at most limit bytes (the process is killed beyond that), and the last
// line of its standard error. A failing run returns a *toolFailure whose
// message is that line.
func runTool(ctx context.Context, bin string, args []string, limit int64) (stdout []byte, diag string, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := &capBuffer{limit: limit, overflow: cancel}
	errOut := &capBuffer{limit: 64 << 10}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = out, errOut
	cmd.WaitDelay = 2 * time.Second // after a kill, do not wait forever on stray pipe holders
	err = cmd.Run()
	diag = lastLine(errOut.String())
	switch {
	case out.over:
		return nil, diag, errOutputLimit
	case err != nil:
		msg := diag
		if msg == "" {
			msg = err.Error()
		}
		return nil, diag, &toolFailure{msg: msg, err: err}
	}
	return out.Bytes(), diag, nil
}

// toolFailure is a converter's failure, described by what it printed.
type toolFailure struct {
	msg string
	err error
}

func (e *toolFailure) Error() string { return e.msg }
func (e *toolFailure) Unwrap() error { return e.err }

// cleanToolMsg returns the one-line message of a converter error with the
// temporary input path replaced by the file's name.
func cleanToolMsg(err error, in, name string) string {
	msg := err.Error()
	if in != "" {
		msg = strings.ReplaceAll(msg, in, name)
	}
	return oneLine(msg)
}

// toolErr turns a converter failure err into the loader's error: the
// context's error when it was canceled, ErrTooLarge when the output was
// over the limit, ErrCorrupt with msg otherwise.
func toolErr(ctx context.Context, name string, lim Limits, err error, msg string) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("load %s: %w", name, ctx.Err())
	case errors.Is(err, errOutputLimit):
		return loadErr(name, ErrTooLarge, nil, "extracted text is over the %s limit", humanSize(lim.MaxInflateBytes))
	}
	return loadErr(name, ErrCorrupt, nil, "%s", msg)
}

// lastLine returns the last non-blank line of s, trimmed.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// capBuffer is a bytes.Buffer that keeps at most limit bytes. Beyond that
// it discards input (so the writer never blocks), records the overflow and
// calls overflow once.
type capBuffer struct {
	bytes.Buffer
	limit    int64
	over     bool
	overflow func()
}

func (c *capBuffer) Write(p []byte) (int, error) {
	if room := c.limit - int64(c.Len()); int64(len(p)) > room {
		if room > 0 {
			c.Buffer.Write(p[:room])
		}
		if !c.over && c.overflow != nil {
			c.overflow()
		}
		c.over = true
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

// looksGarbled reports whether converted Chinese text is mostly noise:
// more than 2% of its characters are Latin-1 letters (UTF-16 read as a
// code page), private-use or replacement characters, or Hangul (bytes read
// as UTF-16), none of which Chinese reports use.
func looksGarbled(s string) bool {
	var odd, total int
	for _, r := range s {
		total++
		switch {
		case r >= 0x80 && r <= 0x24F && !strings.ContainsRune("·×÷°±§¥©®«»²³¹µ¶¼½¾é", r),
			r >= 0xE000 && r <= 0xF8FF, r == 0xFFFD, r >= 0xAC00 && r <= 0xD7A3:
			odd++
		}
	}
	return odd >= 3 && odd*50 > total
}
