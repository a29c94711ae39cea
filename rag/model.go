package rag

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"sync"
)

// A model turns a candidate's features into the probability that it
// answers the question: logistic regression, fitted on the development
// sets by TestFitWeights (go test ./rag -run TestFitWeights -update) and
// embedded as weights.json. Nothing in the scoring is tuned by hand: the
// features say what a candidate is, the weights how much that matters.
type model struct {
	Features  []string  `json:"features"`
	Weights   []float64 `json:"weights"`
	Bias      float64   `json:"bias"`
	Threshold float64   `json:"threshold"` // below it the reports are taken not to say
}

// prob is the model's probability for feature values x, given in the
// order of Features.
func (m *model) prob(x []float64) float64 {
	return 1 / (1 + math.Exp(-m.logit(x)))
}

// logit is the model's log-odds for x.
func (m *model) logit(x []float64) float64 {
	z := m.Bias
	for i, w := range m.Weights {
		z += w * x[i]
	}
	return z
}

// models are the fitted models, by the choice they make.
type models struct {
	Figure   model `json:"figure"`   // which stated figure answers a count or rate question
	Sentence model `json:"sentence"` // which sentence answers any other question
}

//go:embed weights.json
var weightsJSON []byte

var fitted = sync.OnceValue(func() *models {
	ms, err := parseModels(weightsJSON)
	if err != nil {
		panic("rag: embedded weights.json: " + err.Error())
	}
	return ms
})

// parseModels reads models and checks that each has a weight for every
// feature the code computes, in the same order.
func parseModels(b []byte) (*models, error) {
	var ms models
	if err := json.Unmarshal(b, &ms); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		name  string
		m     *model
		names []string
	}{{"figure", &ms.Figure, figureFeatures}, {"sentence", &ms.Sentence, sentenceFeatures}} {
		if len(c.m.Features) != len(c.names) || len(c.m.Weights) != len(c.names) {
			return nil, fmt.Errorf("%s: %d features and %d weights, want %d (fit again)", c.name, len(c.m.Features), len(c.m.Weights), len(c.names))
		}
		for i, n := range c.names {
			if c.m.Features[i] != n {
				return nil, fmt.Errorf("%s: feature %d is %q, want %q (fit again)", c.name, i, c.m.Features[i], n)
			}
		}
	}
	return &ms, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// logCover is a cover in log space, where the model can weigh it as a
// factor.
func logCover(c float64) float64 { return math.Log(c + 0.02) }
