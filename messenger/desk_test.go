package messenger_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fazhi/messenger"
	"fazhi/messenger/messengertest"
	"fazhi/rag"
)

// recorder is a Replier that keeps what it is sent, as plain text.
type recorder struct {
	mu      sync.Mutex
	replies []string
	busy    int
}

func (r *recorder) Reply(_ context.Context, spans ...messenger.Span) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.replies = append(r.replies, strings.Join(messenger.Text.Render(spans, 1<<20), "\n"))
}

func (r *recorder) Busy(context.Context) func() {
	r.mu.Lock()
	r.busy++
	r.mu.Unlock()
	return func() {}
}

// last returns the last reply, failing the test when there is none.
func (r *recorder) last(t *testing.T) string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.replies) == 0 {
		t.Fatal("no reply")
	}
	return r.replies[len(r.replies)-1]
}

// countingEngine counts the engine calls a Desk makes.
type countingEngine struct {
	messenger.Engine
	asks atomic.Int32
}

func (c *countingEngine) Ask(ctx context.Context, q rag.Question) (rag.Answer, error) {
	c.asks.Add(1)
	return c.Engine.Ask(ctx, q)
}

var digits = regexp.MustCompile(`[0-9]`)

func TestDeskConversation(t *testing.T) {
	d := messenger.NewDesk(messenger.DeskConfig{}, messengertest.SeedEngine(t), nil)
	ctx := context.Background()
	alice := messenger.Message{Conversation: "c1", User: "alice"}
	r := &recorder{}

	d.Handle(ctx, alice, "渔门镇2020年调解了多少矛盾纠纷？", r)
	if got := r.last(t); !messengertest.HasFigure(got, "368") || !strings.Contains(got, "来源") || !strings.Contains(got, messenger.ProofHint) {
		t.Errorf("first answer lacks 368, its sources or the proof hint:\n%s", got)
	}
	d.Handle(ctx, alice, "那城关镇呢？", r)
	if got := r.last(t); !messengertest.HasFigure(got, "46") {
		t.Errorf("follow-up in the same conversation: want 46, got:\n%s", got)
	}
	d.Handle(ctx, alice, "原文", r)
	if got := r.last(t); !strings.Contains(got, "回答依据的原文") || !messengertest.HasFigure(got, "46") {
		t.Errorf("原文 does not quote the last answer:\n%s", got)
	}
	// Another conversation has no history: the follow-up alone names no
	// year or subject, so it cannot be the 2020 disputes figure.
	other := &recorder{}
	d.Handle(ctx, messenger.Message{Conversation: "c2", User: "alice"}, "原文", other)
	if got := other.last(t); got != messenger.MsgNoProof {
		t.Errorf("原文 in a new conversation = %q, want %q", got, messenger.MsgNoProof)
	}
	if r.busy == 0 {
		t.Error("Busy never called while answering")
	}
}

func TestDeskCommands(t *testing.T) {
	d := messenger.NewDesk(messenger.DeskConfig{}, messengertest.SeedEngine(t), nil)
	ctx := context.Background()
	m := messenger.Message{Conversation: "c", User: "u"}
	tests := []struct {
		text string
		want []string
	}{
		{"帮助", []string{"报告列表", "数据 乡镇名"}},
		{"/帮助", []string{"报告列表"}},
		{"报告列表", []string{"已收录 5 份报告", "渔门镇", "城关镇"}},
		{"数据 渔门镇 2020", []string{"渔门镇 2020年的数据", "368件"}},
		{"数据：渔门镇 2020年", []string{"渔门镇 2020年的数据", "368件"}},
		{"数据", []string{"用法：数据 乡镇名"}},
		{"数据 黄桷镇", []string{"未找到「黄桷镇」的数据", "「报告列表」"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			r := &recorder{}
			d.Handle(ctx, m, tt.text, r)
			got := r.last(t)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("reply to %q lacks %q:\n%s", tt.text, w, got)
				}
			}
		})
	}
}

func TestDeskRefusesUsersNotAllowed(t *testing.T) {
	eng := &countingEngine{Engine: messengertest.SeedEngine(t)}
	d := messenger.NewDesk(messenger.DeskConfig{AllowedUsers: []string{"alice"}, Admins: []string{"root"}}, eng, nil)
	ctx := context.Background()
	for _, text := range []string{"渔门镇2020年调解了多少矛盾纠纷？", "数据 渔门镇 2020", "报告列表", "帮助"} {
		r := &recorder{}
		d.Handle(ctx, messenger.Message{Conversation: "c", User: "mallory"}, text, r)
		if got := r.last(t); got != messenger.MsgForbidden || digits.MatchString(got) {
			t.Errorf("%q from a user not allowed: got %q, want only %q", text, got, messenger.MsgForbidden)
		}
	}
	if n := eng.asks.Load(); n != 0 {
		t.Errorf("engine asked %d times for a user not allowed", n)
	}
	for _, user := range []string{"alice", "root"} {
		r := &recorder{}
		d.Handle(ctx, messenger.Message{Conversation: user, User: user}, "渔门镇2020年调解了多少矛盾纠纷？", r)
		if got := r.last(t); !messengertest.HasFigure(got, "368") {
			t.Errorf("allowed user %s got %q", user, got)
		}
	}
}

func TestDeskRateLimit(t *testing.T) {
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	eng := &countingEngine{Engine: messengertest.SeedEngine(t)}
	d := messenger.NewDesk(messenger.DeskConfig{RatePerMinute: 2, Now: func() time.Time { return now }}, eng, nil)
	r := &recorder{}
	m := messenger.Message{Conversation: "c", User: "u"}
	for range 4 {
		d.Handle(context.Background(), m, "渔门镇2020年调解了多少矛盾纠纷？", r)
	}
	if n := eng.asks.Load(); n != 2 {
		t.Errorf("engine asked %d times, want 2 (the burst)", n)
	}
	if len(r.replies) != 3 || r.replies[2] != messenger.MsgRateLimited {
		t.Errorf("replies = %q; want two answers and one notice", r.replies)
	}
}

func TestDeskIngest(t *testing.T) {
	eng := messengertest.SeedEngine(t)
	d := messenger.NewDesk(messenger.DeskConfig{Admins: []string{"root"}}, eng, nil)
	ctx := context.Background()
	report := []byte("青溪镇2023年法治政府建设工作报告\n\n一、主要工作\n全年共排查、调解各类矛盾纠纷77件，调解成功率100%。\n")
	fetch := func(data []byte, err error) func(context.Context) ([]byte, error) {
		return func(context.Context) ([]byte, error) { return data, err }
	}
	tests := []struct {
		name string
		user string
		file messenger.File
		want string
	}{
		{"not an admin", "alice", messenger.File{Name: "a.txt", Fetch: fetch(report, nil)}, messenger.MsgNotAdmin},
		{"unsupported type", "root", messenger.File{Name: "a.exe", Fetch: fetch(report, nil)}, "不支持的文件类型（.exe）"},
		{"announced too large", "root", messenger.File{Name: "a.txt", Size: 30 << 20, MaxBytes: 20 << 20, Fetch: fetch(report, nil)}, "文件过大（30.0 MB），上限为 20 MB。"},
		{"found too large", "root", messenger.File{Name: "a.txt", MaxBytes: 20 << 20, Fetch: fetch(nil, messenger.ErrTooLarge)}, "文件过大，上限为 20 MB。"},
		{"download fails", "root", messenger.File{Name: "a.txt", Fetch: fetch(nil, errors.New("boom"))}, messenger.MsgDownloadError},
		{"ingested", "root", messenger.File{Name: `C:\docs\青溪镇2023.txt`, Fetch: fetch(report, nil)}, "已导入：青溪镇 2023年"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			d.Ingest(ctx, messenger.Message{Conversation: tt.user, User: tt.user}, tt.file, r)
			if got := r.last(t); !strings.Contains(got, tt.want) {
				t.Errorf("reply %q lacks %q", got, tt.want)
			}
		})
	}
	r := &recorder{}
	d.Handle(ctx, messenger.Message{Conversation: "q", User: "alice"}, "青溪镇2023年调解了多少矛盾纠纷？", r)
	if got := r.last(t); !messengertest.HasFigure(got, "77") || !strings.Contains(got, "青溪镇2023.txt") {
		t.Errorf("the ingested report is not answered from:\n%s", got)
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in   string
		cmd  messenger.Command
		args string
	}{
		{"帮助", messenger.CmdHelp, ""},
		{" HELP ", messenger.CmdHelp, ""},
		{"／帮助", messenger.CmdHelp, ""},
		{"报告列表", messenger.CmdReports, ""},
		{"数据 渔门镇 2020", messenger.CmdFacts, "渔门镇 2020"},
		{"数据\u3000渔门镇", messenger.CmdFacts, "渔门镇"},
		{"数据：渔门镇", messenger.CmdFacts, "渔门镇"},
		{"数据", messenger.CmdFacts, ""},
		{"原文", messenger.CmdProof, ""},
		{"依据", messenger.CmdProof, ""},
		{"数据显示渔门镇调解了多少件？", messenger.CmdNone, ""},
		{"帮助我查一下渔门镇", messenger.CmdNone, ""},
		{"报告列表里有城关镇吗", messenger.CmdNone, ""},
		{"渔门镇2020年调解了多少矛盾纠纷？", messenger.CmdNone, ""},
		{"", messenger.CmdNone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			cmd, args := messenger.ParseCommand(tt.in)
			if cmd != tt.cmd || args != tt.args {
				t.Errorf("ParseCommand(%q) = %v, %q; want %v, %q", tt.in, cmd, args, tt.cmd, tt.args)
			}
		})
	}
}

func TestParseList(t *testing.T) {
	got := messenger.ParseList(" zhangsan, ,lisi,,manager4585 ")
	if strings.Join(got, "|") != "zhangsan|lisi|manager4585" {
		t.Errorf("ParseList = %q", got)
	}
	if got := messenger.ParseList(""); got != nil {
		t.Errorf("ParseList(\"\") = %q, want none", got)
	}
}
