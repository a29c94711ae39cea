package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// urlEnv names the database the integration tests run in. CI sets it
// from .ci/postgres.sh; without it the PostgreSQL tests skip.
const urlEnv = "FAZHI_TEST_POSTGRES_URL"

var extensionOnce struct {
	sync.Once
	err error
}

// testURL returns a URL of the test database whose search_path starts
// with a schema of this test's own, dropped when the test ends; it skips
// the test when no database is configured.
func testURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(urlEnv)
	if base == "" {
		tb.Skipf("%s is not set: run `bash .ci/postgres.sh` and `export %s=$(cat /tmp/fazhi-postgres.url)` to test the PostgreSQL store", urlEnv, urlEnv)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("%s must be a postgres:// URL, got %q", urlEnv, base)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to %s: %v", urlEnv, err)
	}
	defer conn.Close(ctx)
	// The extension lives in public, on every test schema's search_path;
	// made once, before any test schema exists to catch it.
	extensionOnce.Do(func() {
		_, extensionOnce.err = conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS vector SCHEMA public`)
	})
	if extensionOnce.err != nil {
		tb.Fatalf("create extension vector: %v", extensionOnce.err)
	}
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	schema := "fazhi_test_" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(tb.Name()))
	if len(schema) > 40 {
		schema = schema[:40]
	}
	schema += "_" + hex.EncodeToString(b)
	ident := pgx.Identifier{schema}.Sanitize()
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+ident); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+ident+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}

// withParam returns rawURL with one more run-time parameter.
func withParam(tb testing.TB, rawURL, key, value string) string {
	tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}
