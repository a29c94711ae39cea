package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// built is the fazhi command the process tests run, built once per test
// binary run into a directory TestMain removes.
var built struct {
	once sync.Once
	dir  string
	bin  string
	skip string // why there is no binary to build (no go tool)
	err  string // why the build failed
}

// buildBinary returns the path of the fazhi command built from this
// package. The first call builds it; later calls, from any test, reuse it.
func buildBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			built.skip = fmt.Sprintf("go tool not on PATH: %v", err)
			return
		}
		dir, err := os.MkdirTemp("", "fazhi-bin-")
		if err != nil {
			built.err = err.Error()
			return
		}
		built.dir = dir
		bin := filepath.Join(dir, "fazhi")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Sprintf("go build: %v\n%s", err, out)
			return
		}
		built.bin = bin
	})
	switch {
	case built.skip != "":
		t.Skip(built.skip)
	case built.err != "":
		t.Fatal(built.err)
	}
	return built.bin
}

// TestMain runs the tests and then removes the binary buildBinary built.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}
