package messenger_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fazhi/messenger"
	"fazhi/messenger/messengertest"
	"fazhi/rag"
)

// fazhi's own --max-file-mb bounds files from a chat below the
// platform's limit: announced or found over it, the file is refused and
// nothing is ingested.
func TestDeskMaxFileBytes(t *testing.T) {
	eng := &ingestCounter{Engine: messengertest.SeedEngine(t)}
	d := messenger.NewDesk(messenger.DeskConfig{Admins: []string{"root"}, MaxFileBytes: 1 << 20}, eng, nil)
	big := []byte(strings.Repeat("全年共排查、调解各类矛盾纠纷77件。\n", (1<<20)/40))
	fetch := func(context.Context) ([]byte, error) { return big, nil }
	for _, tc := range []struct {
		name string
		file messenger.File
		want string
	}{
		{"announced", messenger.File{Name: "a.txt", Size: int64(len(big)), MaxBytes: 20 << 20, Fetch: fetch}, "上限为 1 MB"},
		{"found", messenger.File{Name: "a.txt", MaxBytes: 20 << 20, Fetch: fetch}, "上限为 1 MB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(big) <= 1<<20 {
				t.Fatalf("the file is %d bytes, want over 1 MiB", len(big))
			}
			r := &recorder{}
			d.Ingest(context.Background(), messenger.Message{Conversation: "root", User: "root"}, tc.file, r)
			if got := r.last(t); !strings.Contains(got, tc.want) {
				t.Errorf("reply %q lacks %q", got, tc.want)
			}
			if n := eng.ingests; n != 0 {
				t.Errorf("the engine ingested %d files, want none", n)
			}
		})
	}
}

type ingestCounter struct {
	messenger.Engine
	ingests int
}

func (c *ingestCounter) IngestFile(ctx context.Context, name string, data []byte) (rag.IngestResult, error) {
	c.ingests++
	return c.Engine.IngestFile(ctx, name, data)
}

// blockingEngine never answers before its context ends, as an engine
// whose model hangs without a deadline of its own.
type blockingEngine struct{ messenger.Engine }

func (blockingEngine) Ask(ctx context.Context, q rag.Question) (rag.Answer, error) {
	<-ctx.Done()
	return rag.Answer{}, ctx.Err()
}

// A message's work ends at its deadline: the user is told, and the
// worker is free.
func TestDeskMessageTimeout(t *testing.T) {
	d := messenger.NewDesk(messenger.DeskConfig{MessageTimeout: 50 * time.Millisecond}, blockingEngine{}, nil)
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Ask(context.Background(), messenger.Message{Conversation: "c", User: "u"}, "渔门镇调解了多少件？", r)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Ask did not return after its deadline")
	}
	if got := r.last(t); got != messenger.MsgTimeout {
		t.Errorf("reply %q, want %q", got, messenger.MsgTimeout)
	}
}

// The note of an answer read from the reports because the model did not
// answer is shown with it, and limits are named to the user.
func TestDeskNoteAndLimit(t *testing.T) {
	if got := spansText(messenger.AnswerSpans(rag.Answer{Answer: "368件", Found: true, Note: "语言模型未能按时回答，以下答案直接摘自报告。"}, "")); !strings.Contains(got, "368件") || !strings.Contains(got, "摘自报告") {
		t.Errorf("answer shown as %q, want the answer and its note", got)
	}
	d := messenger.NewDesk(messenger.DeskConfig{}, limitEngine{}, nil)
	r := &recorder{}
	d.Ask(context.Background(), messenger.Message{Conversation: "c", User: "u"}, strings.Repeat("多少件？", 10), r)
	if got := r.last(t); !strings.Contains(got, "超出限制") {
		t.Errorf("reply %q, want the limit named", got)
	}
}

type limitEngine struct{ messenger.Engine }

func (limitEngine) Ask(context.Context, rag.Question) (rag.Answer, error) {
	return rag.Answer{}, errors.Join(&rag.LimitError{What: "question", Limit: rag.MaxQuestionParts, Unit: "parts"})
}

func spansText(spans []messenger.Span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.Text)
	}
	return b.String()
}
