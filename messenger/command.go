package messenger

import (
	"strings"
	"unicode"
)

// Command is one of the commands every messenger understands.
type Command int

// The commands. CmdNone means the message is a question.
const (
	CmdNone    Command = iota
	CmdHelp            // 帮助
	CmdReports         // 报告列表
	CmdFacts           // 数据 乡镇名 [年份]
	CmdProof           // 原文
)

// commandWords are the Chinese (and a few English) words of the commands.
var commandWords = []struct {
	word string
	cmd  Command
}{
	{"帮助", CmdHelp},
	{"help", CmdHelp},
	{"报告列表", CmdReports},
	{"数据", CmdFacts},
	{"原文", CmdProof},
	{"依据", CmdProof},
}

// ParseCommand reads text as a command word, alone or, for 数据, followed by
// a space or a colon and its arguments: "帮助", "报告列表", "数据 渔门镇 2020",
// "原文". A leading "/" is allowed ("/帮助"). Anything else, such as
// "数据显示……", is a question: ParseCommand returns CmdNone.
func ParseCommand(text string) (Command, string) {
	t := strings.TrimSpace(text)
	t = strings.TrimPrefix(strings.TrimPrefix(t, "/"), "／")
	for _, w := range commandWords {
		if len(t) < len(w.word) || !strings.EqualFold(t[:len(w.word)], w.word) {
			continue
		}
		rest := t[len(w.word):]
		if rest == "" {
			return w.cmd, ""
		}
		if w.cmd != CmdFacts {
			continue
		}
		r := []rune(rest)[0]
		if unicode.IsSpace(r) || r == ':' || r == '：' {
			return w.cmd, strings.TrimSpace(strings.TrimLeft(rest, ":： \t\u3000"))
		}
	}
	return CmdNone, ""
}

// ParseFactsArgs reads "town [year]", the arguments of the facts command.
// The year may end in 年.
func ParseFactsArgs(args string) (town string, year int) {
	fields := strings.Fields(args)
	if len(fields) == 0 {
		return "", 0
	}
	if n := len(fields); n > 1 {
		if y, ok := parseYear(fields[n-1]); ok {
			year = y
			fields = fields[:n-1]
		}
	}
	return strings.Join(fields, " "), year
}

func parseYear(s string) (int, bool) {
	s = strings.TrimSuffix(s, "年")
	if len(s) != 4 {
		return 0, false
	}
	y := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		y = y*10 + int(r-'0')
	}
	return y, y >= 1900
}

// ParseList splits a comma-separated list of user ids, as found in the
// *_ALLOWED_USERS and *_ADMINS settings, dropping blanks and empty elements.
func ParseList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}
