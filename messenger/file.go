package messenger

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// SupportedExts are the report formats the engine ingests.
var SupportedExts = []string{".txt", ".md", ".html", ".htm", ".docx", ".pdf", ".doc", ".wps"}

// ErrTooLarge is what a File's Fetch returns for a file over its MaxBytes.
var ErrTooLarge = errors.New("file too large")

// File is a report file a user sent.
type File struct {
	// Name is the name the user gave it; only its base name is used.
	Name string
	// Size is the size the platform announced, or 0 when it did not.
	Size int64
	// MaxBytes is the largest file the platform delivers.
	MaxBytes int64
	// Fetch downloads the file. It returns ErrTooLarge (wrapped or not)
	// when the file is over MaxBytes.
	Fetch func(ctx context.Context) ([]byte, error)
}

// CleanFileName keeps only the base name of a user-supplied file name.
func CleanFileName(name string) string {
	name = strings.TrimSpace(strings.ReplaceAll(name, `\`, "/"))
	if name == "" {
		return ""
	}
	name = path.Base(name)
	if name == "." || name == "/" || name == ".." {
		return ""
	}
	return name
}

// unsupported returns the refusal for a file whose type the engine does not
// ingest, or "" when it does.
func unsupported(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if slices.Contains(SupportedExts, ext) {
		return ""
	}
	if ext == "" {
		ext = "无扩展名"
	}
	return fmt.Sprintf("不支持的文件类型（%s）。支持：%s", ext, strings.Join(SupportedExts, " "))
}

func tooLargeText(size, limit int64) string {
	if size > 0 {
		return fmt.Sprintf("文件过大（%.1f MB），上限为 %d MB。", float64(size)/(1<<20), limit>>20)
	}
	return fmt.Sprintf("文件过大，上限为 %d MB。", limit>>20)
}
