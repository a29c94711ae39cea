package rag

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// sectionAnswer answers a list question ("存在哪些不足") with the body of
// the section whose heading it names.
func sectionAnswer(q Query, m *matcher, sents []sentence) (Answer, bool) {
	type sec struct {
		report  string
		section string
	}
	var (
		best      sec
		bestRep   ReportInfo
		bestScore float64
	)
	seen := map[sec]bool{}
	for _, s := range sents {
		if s.section == "" {
			continue
		}
		parts := strings.Split(s.section, " > ")
		for i := range parts {
			k := sec{s.report.ID, strings.Join(parts[:i+1], " > ")}
			if seen[k] {
				continue
			}
			seen[k] = true
			// The path down to this heading: "三、存在的问题 > （一）法制宣传教育开展不平衡"
			// answers "法制宣传教育存在什么问题" better than either heading alone.
			if sc := m.cover(gramsOf(k.section)); sc > bestScore {
				best, bestRep, bestScore = k, s.report, sc
			}
		}
	}
	if bestScore < minSectionScore {
		return Answer{}, false
	}
	a := passageAnswer(q, bestRep, best.section, sents)
	return a, a.Found
}

// passageAnswer quotes the body of a section (and its subsections) of one
// report, up to about 600 characters.
func passageAnswer(q Query, rep ReportInfo, section string, sents []sentence) Answer {
	parts := strings.Split(section, " > ")
	var body []string
	n := 0
	for _, s := range sents {
		if s.report.ID != rep.ID || (s.section != section && !strings.HasPrefix(s.section, section+" > ")) {
			continue
		}
		if strings.TrimRight(s.text, "。：:") == parts[len(parts)-1] {
			continue // the section's own heading line
		}
		body = append(body, s.text)
		n += utf8.RuneCountInString(s.text)
		if n > 600 || len(body) >= 10 {
			break
		}
	}
	quote := strings.Join(body, "")
	a := Answer{Found: len(body) > 0, Mode: "extractive", Citations: []Citation{citation(rep, section, quote)}}
	// The same passage in other reports in scope (one report in several
	// formats) is cited too.
	cited := map[string]bool{rep.ID: true}
	for _, s := range sents {
		if len(body) > 0 && !cited[s.report.ID] && s.text == body[0] {
			cited[s.report.ID] = true
			a.Citations = append(a.Citations, citation(s.report, section, quote))
		}
	}
	a.Answer = say(q.Lang,
		fmt.Sprintf("据%s（%s）：\n%s", reportLabel(rep, "zh"), section, strings.Join(body, "\n")),
		fmt.Sprintf("According to %s (%s):\n%s", reportLabel(rep, "en"), section, strings.Join(body, "\n")))
	return a
}

// listAnswer answers "哪些镇开展了宪法宣传周活动": every report in scope
// with a sentence that says so, each quoted.
func listAnswer(q Query, m *matcher, sents []sentence, scope []ReportInfo) Answer {
	best := map[string]int{}
	score := map[string]float64{}
	var order []string
	for i, s := range sents {
		sc := m.cover(s.grams)
		if sc < minSentenceScore {
			continue
		}
		id := s.report.ID
		if _, ok := best[id]; !ok {
			order = append(order, id)
		}
		if sc > score[id] {
			best[id], score[id] = i, sc
		}
	}
	a := Answer{Mode: "extractive", Citations: []Citation{}}
	if len(order) == 0 {
		a.Answer = notStated(q, scope)
		return a
	}
	a.Found = true
	var lines []string
	for i, id := range order {
		s := sents[best[id]]
		if i == 30 {
			lines = append(lines, say(q.Lang, fmt.Sprintf("……另有%d份报告", len(order)-30), fmt.Sprintf("… and %d more reports", len(order)-30)))
			break
		}
		a.Citations = append(a.Citations, citation(s.report, s.section, s.text))
		lines = append(lines, say(q.Lang,
			fmt.Sprintf("%s：“%s”（%s）", reportLabel(s.report, "zh"), s.text, s.report.Source),
			fmt.Sprintf("%s: “%s” (%s)", reportLabel(s.report, "en"), s.text, s.report.Source)))
	}
	a.Answer = say(q.Lang, fmt.Sprintf("%d份报告提到：\n", len(order)), fmt.Sprintf("%d reports say so:\n", len(order))) + strings.Join(lines, "\n")
	return a
}
