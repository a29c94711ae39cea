package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// supportedExts are the report formats the engine ingests.
var supportedExts = []string{".txt", ".md", ".html", ".htm", ".docx", ".pdf", ".doc", ".wps"}

// downloadTimeout bounds one file download, so a stalled transfer cannot
// hold a worker for ever; 20 MB at a modest link speed fits well within it.
const downloadTimeout = 3 * time.Minute

// errTooLarge marks a file over MaxFileSize.
var errTooLarge = errors.New("file too large")

// ingestDocument handles a report file sent by a user who may use the bot:
// admins get it ingested, everyone else a refusal.
func (b *Bot) ingestDocument(ctx context.Context, m *models.Message) {
	d := m.Document
	if !b.admins[m.From.ID] {
		b.replyText(ctx, m, msgNotAdmin)
		return
	}
	name := cleanFileName(d.FileName)
	ext := strings.ToLower(path.Ext(name))
	if !slices.Contains(supportedExts, ext) {
		shown := ext
		if shown == "" {
			shown = "无扩展名"
		}
		b.replyText(ctx, m, fmt.Sprintf("不支持的文件类型（%s）。支持：%s", shown, strings.Join(supportedExts, " ")))
		return
	}
	if d.FileSize > MaxFileSize {
		b.replyText(ctx, m, tooLargeText(d.FileSize))
		return
	}
	if !b.allow(ctx, m) {
		return
	}

	stop := b.typing(ctx, m)
	data, err := b.download(ctx, d.FileID)
	if err != nil {
		stop()
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, errTooLarge):
			b.replyText(ctx, m, tooLargeText(0))
		default:
			b.log.Error("bot: file download failed", "chat", m.Chat.ID, "user", m.From.ID, "file", name, "err", err)
			b.replyText(ctx, m, "下载文件失败，请稍后重试。")
		}
		return
	}
	res, err := b.eng.IngestFile(ctx, name, data)
	stop()
	if err != nil {
		b.engineFailed(ctx, m, "ingest", err)
		return
	}
	b.log.Info("bot: ingested", "user", m.From.ID, "file", name, "bytes", len(data), "status", res.Status)
	b.replyText(ctx, m, ingestText(res))
}

func tooLargeText(size int64) string {
	if size > 0 {
		return fmt.Sprintf("文件过大（%.1f MB），上限为 %d MB。", float64(size)/(1<<20), MaxFileSize>>20)
	}
	return fmt.Sprintf("文件过大，上限为 %d MB。", MaxFileSize>>20)
}

// cleanFileName keeps only the base name of a user-supplied file name.
func cleanFileName(name string) string {
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

// download fetches a file through getFile and the file URL, which for a
// self-hosted server is <APIURL>/file/bot<token>/<file_path>. Errors never
// contain the token.
func (b *Bot) download(ctx context.Context, fileID string) ([]byte, error) {
	var f *models.File
	err := b.withRetry(ctx, "getFile", func() error {
		var err error
		f, err = b.tg.GetFile(ctx, &tgbot.GetFileParams{FileID: fileID})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("getFile: %w", b.red.Error(err))
	}
	if f.FileSize > MaxFileSize {
		return nil, errTooLarge
	}
	if f.FilePath == "" {
		return nil, errors.New("getFile: no file_path in reply")
	}

	ctx, cancel := context.WithTimeout(ctx, downloadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.tg.FileDownloadLink(f), nil)
	if err != nil {
		return nil, fmt.Errorf("download: %w", b.red.Error(err))
	}
	resp, err := b.dl.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download: %w", b.red.Error(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download: HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("download: %w", b.red.Error(err))
	}
	if len(data) > MaxFileSize {
		return nil, errTooLarge
	}
	return data, nil
}
