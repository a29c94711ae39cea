package rag_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"fazhi/rag"
)

// reportSources maps each listed report's source to its town.
func reportSources(t *testing.T, e *rag.Engine) map[string]string {
	t.Helper()
	reps, err := e.Reports(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range reps {
		got[r.Source] = r.Town
	}
	return got
}

// Uploads: the same name with new content replaces the report, and the
// response, the listing and the answers all show the new one; content
// stored already under another name is a duplicate of that report, by
// its name, and leaves everything as it was; the name the response gives
// is the one DELETE takes.
func TestEngineUploadIdentity(t *testing.T) {
	ctx := context.Background()
	e, _ := seedEngine(t)
	chengguan := seedText(t, seedFiles[3]) // 城关镇 2020, 132 mediators
	yumen := seedText(t, seedFiles[0])     // 渔门镇 2020
	edited := strings.Replace(chengguan, "调解员达到 132 人", "调解员达到 133 人", 1)
	if edited == chengguan {
		t.Fatal("the edit did not apply: fixture changed?")
	}

	t.Run("changed content under an existing name", func(t *testing.T) {
		res, err := e.IngestFile(ctx, seedFiles[3], []byte(edited))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != rag.StatusReplaced || res.Source != seedFiles[3] || res.Report.Source != seedFiles[3] || res.Report.Town != "城关镇" || res.DuplicateOf != "" {
			t.Errorf("got %+v, want %s replaced, of 城关镇", res, seedFiles[3])
		}
		if got := reportSources(t, e); len(got) != 5 || got[seedFiles[3]] != "城关镇" {
			t.Errorf("listing: got %v, want the five seeds with %s of 城关镇", got, seedFiles[3])
		}
		checkAnswer(t, mustAsk(t, e, rag.Question{Text: "城关镇2020年全镇调解员有多少人？"}), true, []string{"133"}, seedFiles[3])
	})

	t.Run("same content under a new name", func(t *testing.T) {
		res, err := e.IngestFile(ctx, "copy-of-yumen.txt", []byte(yumen))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != rag.StatusDuplicate || res.DuplicateOf != seedFiles[0] || res.Report.Source != seedFiles[0] || res.Report.Town != "渔门镇" {
			t.Errorf("got %+v, want a duplicate of %s (渔门镇)", res, seedFiles[0])
		}
		if got := reportSources(t, e); len(got) != 5 || got["copy-of-yumen.txt"] != "" {
			t.Errorf("listing: got %v, want the five seeds and no copy", got)
		}
	})

	// The review's case: an existing name (城关镇's) uploaded with content
	// that another report (渔门镇's) holds. It used to say "unchanged" with
	// 城关镇's name and 渔门镇's town while nothing changed.
	t.Run("existing name with another report's content", func(t *testing.T) {
		res, err := e.IngestFile(ctx, seedFiles[3], []byte(yumen))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != rag.StatusDuplicate || res.DuplicateOf != seedFiles[0] || res.Report.Source != seedFiles[0] || res.Report.Town != "渔门镇" {
			t.Errorf("got %+v, want a duplicate of %s (渔门镇)", res, seedFiles[0])
		}
		if got := reportSources(t, e); got[seedFiles[3]] != "城关镇" || got[seedFiles[0]] != "渔门镇" {
			t.Errorf("listing: got %v, want both reports as they were", got)
		}
		if err := e.Delete(ctx, res.DuplicateOf); err != nil {
			t.Errorf("Delete(%q), the name the response gave: %v", res.DuplicateOf, err)
		}
		if err := e.Delete(ctx, res.DuplicateOf); !errors.Is(err, rag.ErrNotFound) {
			t.Errorf("Delete(%q) again: got %v, want ErrNotFound", res.DuplicateOf, err)
		}
	})

	t.Run("bad names", func(t *testing.T) {
		for _, name := range []string{"", ".", ".."} {
			if _, err := e.IngestFile(ctx, name, []byte(yumen)); err == nil {
				t.Errorf("IngestFile(%q): got no error", name)
			}
		}
		for _, src := range []string{"../a.txt", "/a.txt", "a//b.txt", `a\b.txt`, "a/./b.txt"} {
			if _, err := e.IngestPathAs(ctx, "../testdata/reports/"+seedFiles[0], src); err == nil || !strings.Contains(err.Error(), seedFiles[0]) {
				t.Errorf("IngestPathAs(%q): got %v, want an error naming the file", src, err)
			}
		}
	})
}
