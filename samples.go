// Package fazhi holds what the whole module shares at its root: the sample
// reports embedded in the binary, so a fresh `fazhi serve` is a working
// assistant. The code lives in ingest, rag, httpapi, bot and cmd/fazhi.
package fazhi

import "embed"

// Samples are the five seed township reports (testdata/reports), ingested
// by `fazhi serve` when its store is empty.
//
//go:embed testdata/reports/*.txt
var Samples embed.FS
