package bot

import (
	"context"
	"errors"
	"fazhi/messenger"
	"fmt"
	"io"
	"net/http"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// downloadTimeout bounds one file download, so a stalled transfer cannot
// hold a worker for ever; 20 MB at a modest link speed fits well within it.
const downloadTimeout = 3 * time.Minute

// ingestDocument handles a report file sent by a user who may use the bot:
// admins get it ingested, everyone else a refusal.
func (b *Bot) ingestDocument(ctx context.Context, m *models.Message) {
	d := m.Document
	b.desk.Ingest(ctx, from(m), messenger.File{
		Name:     d.FileName,
		Size:     d.FileSize,
		MaxBytes: MaxFileSize,
		Fetch:    func(ctx context.Context) ([]byte, error) { return b.download(ctx, d.FileID) },
	}, replier{b, m})
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
		return nil, messenger.ErrTooLarge
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
		return nil, messenger.ErrTooLarge
	}
	return data, nil
}
