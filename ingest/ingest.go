// Package ingest turns township rule-of-law reports (法治政府建设工作报告) into
// the domain values the rest of fazhi works with: a cleaned Report with its
// metadata, the Chunks it is split into, and the Facts (figures) it states.
//
// Everything here is a pure function of its input except the loaders of
// .pdf/.doc/.wps, which call external tools (poppler's pdftotext, catdoc,
// antiword, LibreOffice) found on PATH at run time.
package ingest

import "time"

// Report is one ingested report and its detected metadata.
// Unknown fields stay empty (or zero) rather than guessed.
type Report struct {
	ID           string    `json:"id"`            // hex SHA-256 of the original file bytes
	Source       string    `json:"source"`        // file name, e.g. "000_cd4b96a87fea5f69.txt"
	Title        string    `json:"title"`         // e.g. "渔门镇2020年度法治政府建设工作报告"
	Place        string    `json:"place"`         // the reporting unit as it names itself: "渔门镇", "北城街街道", "海淀区" for a district's own report
	Level        string    `json:"level"`         // LevelTownship or LevelCounty; empty when no unit was found
	Town         string    `json:"town"`          // = Place for a township-level report, empty for a county-level one
	County       string    `json:"county"`        // e.g. "盐边县", "大足区" (the unit itself for a county-level report); empty when unknown
	City         string    `json:"city"`          // e.g. "攀枝花市"; a municipality's districts have the municipality ("重庆市")
	Province     string    `json:"province"`      // e.g. "四川省"
	DivisionCode string    `json:"division_code"` // the unit's 2023 division code; empty when not settled
	Year         int       `json:"year"`          // the year the report covers; 0 when unknown
	Date         string    `json:"date"`          // issue date as YYYY-MM-DD; empty when unknown
	DocNumber    string    `json:"doc_number"`    // e.g. "濮镇字〔2021〕8号"
	Aliases      []string  `json:"aliases"`       // short forms of Place the report's text uses: ["广内街道"] for 广安门内街道
	Text         string    `json:"-"`             // cleaned full text
	IngestedAt   time.Time `json:"ingested_at"`
	// Sentences is how many distinct sentences its chunks hold, as
	// answering reads them (rag sets it when it prepares a report; 0 when
	// unknown): with the sentences that hold a term, it weighs the term.
	Sentences int `json:"-"`
	// TermCounts are, for the tokens of rag's term vocabulary named by
	// TermVocab, how many distinct sentences of its chunks hold each, as
	// rag encodes them when it prepares a report; stores keep them as
	// they are. Nil when not counted.
	TermVocab  string `json:"-"`
	TermCounts []byte `json:"-"`
}

// Unit is the name a report's chunks and facts are filed under: its place
// (a town, or a county for a county-level report), else its town.
func (r Report) Unit() string {
	if r.Place != "" {
		return r.Place
	}
	return r.Town
}

// Chunk is a retrievable piece of a report. It never cuts a sentence unless
// a single sentence alone is over the size limit.
type Chunk struct {
	ReportID string `json:"report_id"`
	Seq      int    `json:"seq"`     // 0-based position within the report
	Section  string `json:"section"` // outline path, e.g. "一、主要举措 > （四）防化结合"
	Text     string `json:"text"`
}

// Fact is one figure stated in a report, with the sentence it comes from.
type Fact struct {
	Source  string  `json:"source"`
	Town    string  `json:"town"`
	Year    int     `json:"year"`
	Section string  `json:"section"`
	Subject string  `json:"subject"` // what is counted, as written: "排查、调解各类矛盾纠纷"
	Metric  string  `json:"metric"`  // normalised key, e.g. "disputes_mediated"; empty when unrecognised
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`   // 件, 人, 次, 元, %, ...
	Approx  string  `json:"approx"` // qualifier as written: 余, 多, 约, 近, 不少于, 以上; empty when exact
	Quote   string  `json:"quote"`  // the whole sentence
	// Context is the one or two sentences before Quote in its section,
	// as answering reads them (rag sets it when it prepares a report);
	// stores keep it for answers over many reports and do not list it.
	Context string `json:"-"`
}
