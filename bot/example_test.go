package bot_test

import (
	"context"
	"log/slog"
	"os"
	"os/signal"

	"fazhi/bot"
)

// The wiring cmd/fazhi does: ids come from comma-separated settings, and
// Run polls until the process is interrupted.
func ExampleNew() {
	var eng bot.Engine // the *rag.Engine in the real program
	allowed, err := bot.ParseIDs("42, 43")
	if err != nil {
		slog.Error("bad FAZHI_TELEGRAM_ALLOWED_USERS", "err", err)
		return
	}
	b, err := bot.New(bot.Config{
		Token:        "123456:token-from-botfather",
		AllowedUsers: allowed,
		Admins:       []int64{42},
	}, eng, slog.Default())
	if err != nil {
		slog.Error("telegram bot", "err", err)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := b.Run(ctx); err != nil {
		slog.Error("telegram bot", "err", err)
	}
}
