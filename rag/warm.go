package rag

import (
	"context"

	"fazhi/divisions"
)

// Warmer is a Store that can build in-memory indexes ahead of the
// questions that would otherwise wait for them (sqlitestore's keyword
// index).
type Warmer interface {
	Warm(ctx context.Context) error
}

// Warm prepares what the first questions would otherwise pay for: the
// fitted models, the gazetteer with its name and pinyin indexes, and the
// store's in-memory indexes when it has any (Warmer). Questions are
// answered meanwhile, only slower; a server calls it in the background
// once it listens, so readiness never waits for it.
func (e *Engine) Warm(ctx context.Context) error {
	fitted()
	metricEnglish()
	metricLabels()
	g := divisions.Default()
	g.Find("")
	g.Pinyin("")
	if err := e.refresh(ctx); err != nil {
		return err
	}
	if w, ok := e.store.(Warmer); ok {
		return w.Warm(ctx)
	}
	return nil
}
