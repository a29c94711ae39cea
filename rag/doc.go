// Package rag answers questions from the stored reports: the durable store
// (SQLite source of truth plus an in-memory chromem-go vector index),
// hybrid retrieval filtered by town and year, the offline extractive
// answerer, the optional langchaingo LLM chain, and the Engine that every
// front end (CLI, HTTP API, Telegram bot) calls.
package rag
