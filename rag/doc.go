// Package rag answers questions from the stored reports: the Store seam
// (implemented by the peer adapters sqlitestore and pgstore), hybrid
// retrieval filtered by place and year, the offline extractive answerer,
// the optional langchaingo LLM chain, and the Engine that every front end
// (CLI, HTTP API, messengers) calls.
package rag
