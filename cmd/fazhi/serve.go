package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"fazhi"
	"fazhi/bot"
	"fazhi/httpapi"
	"fazhi/messenger"
	"fazhi/rag"
)

func runServe(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet("serve", stderr)
	commonFlags(fs, &c, env)
	addr := fs.String("addr", envOr(env, "FAZHI_ADDR", "127.0.0.1:8080"), "listen address (env FAZHI_ADDR)")
	adminToken := fs.String("admin-token", env("FAZHI_ADMIN_TOKEN"), "bearer token for write endpoints (env FAZHI_ADMIN_TOKEN)")
	samples := fs.Bool("samples", true, "ingest the sample reports built into the binary when the store is empty")
	var lim limitFlags
	lim.register(fs, env)
	var tg bot.Config
	fs.StringVar(&tg.Token, "telegram-token", env("FAZHI_TELEGRAM_TOKEN"), "Telegram bot token; empty disables the bot (env FAZHI_TELEGRAM_TOKEN)")
	fs.StringVar(&tg.APIURL, "telegram-api-url", env("FAZHI_TELEGRAM_API_URL"), "Bot API server URL, for a self-hosted server (env FAZHI_TELEGRAM_API_URL)")
	allowed := fs.String("telegram-allowed-users", env("FAZHI_TELEGRAM_ALLOWED_USERS"), "comma-separated Telegram user ids allowed to use the bot; empty = everyone (env FAZHI_TELEGRAM_ALLOWED_USERS)")
	admins := fs.String("telegram-admins", env("FAZHI_TELEGRAM_ADMINS"), "comma-separated Telegram user ids that may send reports to ingest (env FAZHI_TELEGRAM_ADMINS)")
	chats := addMessengerFlags(fs, env)
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	apiCfg, err := lim.apiConfig()
	if err != nil {
		return err
	}
	apiCfg.AdminToken = *adminToken
	// --max-file-mb bounds uploads through every front end, not only files
	// read from disk.
	apiCfg.MaxUploadBytes = c.limits().MaxFileBytes
	// A message's deadline leaves room for one model call that runs out
	// of time and for the answer from the reports after it.
	msgTimeout := max(messenger.DefaultMessageTimeout, 2*c.LLMTimeout)
	tg.MessageTimeout, tg.MaxFileBytes = msgTimeout, apiCfg.MaxUploadBytes
	chats.wecom.MessageTimeout, chats.wecom.MaxFileBytes = msgTimeout, apiCfg.MaxUploadBytes
	chats.ding.MessageTimeout, chats.ding.MaxFileBytes = msgTimeout, apiCfg.MaxUploadBytes
	if tg.AllowedUsers, err = bot.ParseIDs(*allowed); err != nil {
		return fmt.Errorf("--telegram-allowed-users: %w", err)
	}
	if tg.Admins, err = bot.ParseIDs(*admins); err != nil {
		return fmt.Errorf("--telegram-admins: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	gate := lim.gate()
	apiCfg.ExpensiveInUse = gate.InUse
	eng, st, err := c.open(ctx, log, rag.WithGate(gate))
	if err != nil {
		return err
	}
	defer st.Close() // the store closes last

	api := httpapi.New(eng, apiCfg, log)
	if *samples {
		n, err := ingestSamples(ctx, eng, log)
		if err != nil {
			return err
		}
		api.CountIngested(n)
	}
	if *adminToken == "" {
		log.Info("write endpoints are disabled: set FAZHI_ADMIN_TOKEN (or --admin-token) to enable uploads and deletes")
	}
	messengers, err := chats.build(eng, log)
	if err != nil {
		return err
	}
	var handler http.Handler = api
	if len(messengers) > 0 {
		mux := http.NewServeMux()
		mux.Handle("/", api)
		for _, m := range messengers {
			mux.Handle(m.path, m.h)
		}
		handler = mux
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := httpapi.NewHTTPServer(*addr, handler)
	srv.RegisterOnShutdown(api.Shutdown)
	errc := make(chan error, 4)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	fmt.Fprintf(stdout, "fazhi serving on http://%s\n", ln.Addr())
	// Build what the first questions would otherwise wait for, while
	// already answering (slower until it is done).
	go func() {
		start := time.Now()
		if err := eng.Warm(ctx); err != nil {
			log.Warn("warming the indexes failed; questions are answered without them", "err", err)
			return
		}
		log.Info("indexes warm", "took", time.Since(start).Round(time.Millisecond).String())
	}()
	log.Info("serving", "addr", ln.Addr().String(), "llm", c.LLM != "",
		"trusted_proxies", fmt.Sprint(apiCfg.TrustedProxies), "api_keys", len(apiCfg.APIKeys),
		"require_api_key", apiCfg.RequireAPIKey, "rate_per_minute", apiCfg.RatePerMinute)

	botCtx, stopBot := context.WithCancel(ctx)
	defer stopBot()
	botDone := make(chan struct{})
	if tg.Token != "" {
		b, err := bot.New(tg, eng, log)
		if err != nil {
			srv.Close()
			return fmt.Errorf("telegram: %w", err)
		}
		go func() {
			defer close(botDone)
			if err := b.Run(botCtx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("telegram: %w", err)
			}
		}()
		log.Info("telegram bot started", "allowed_users", len(tg.AllowedUsers), "admins", len(tg.Admins))
	} else {
		close(botDone)
	}
	var chatsDone sync.WaitGroup
	for _, m := range messengers {
		chatsDone.Go(func() {
			if err := m.run(botCtx); err != nil {
				errc <- fmt.Errorf("%s: %w", m.name, err)
			}
		})
		log.Info(m.name+" callback ready", "path", m.path)
	}
	go watchStore(botCtx, eng, api, log)

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-errc:
		log.Error("stopping", "err", runErr)
	}
	stopBot()
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	<-botDone
	chatsDone.Wait()
	return runErr
}

// ingestSamples ingests the reports built into the binary when the store
// holds none, so a fresh server answers at once.
func ingestSamples(ctx context.Context, eng *rag.Engine, log *slog.Logger) (int, error) {
	st, err := eng.Stats(ctx)
	if err != nil {
		return 0, err
	}
	if st.Reports > 0 {
		return 0, nil
	}
	entries, err := fs.ReadDir(fazhi.Samples, "testdata/reports")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		data, err := fs.ReadFile(fazhi.Samples, "testdata/reports/"+e.Name())
		if err != nil {
			return n, err
		}
		if _, err := eng.IngestFile(ctx, e.Name(), data); err != nil {
			return n, fmt.Errorf("ingest sample %s: %w", e.Name(), err)
		}
		n++
	}
	log.Info("store was empty: ingested the sample reports built into the binary", "reports", n)
	return n, nil
}

// watchStore notices reports that other processes (fazhi ingest, another
// replica) add, so the server picks them up without a restart and counts
// them in its metrics.
func watchStore(ctx context.Context, eng *rag.Engine, api *httpapi.Server, log *slog.Logger) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := -1
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := eng.Stats(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("watch store", "err", err)
			}
			continue
		}
		if last >= 0 && st.Reports > last {
			api.CountIngested(st.Reports - last)
			log.Info("new reports in the store", "added", st.Reports-last, "reports", st.Reports)
		}
		last = st.Reports
	}
}
