package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tmc/langchaingo/embeddings"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/ollama"
	"github.com/tmc/langchaingo/llms/openai"
)

// Provider defaults, used when no base URL is given.
const (
	defaultOllamaURL = "http://127.0.0.1:11434"
	defaultOpenAIURL = "https://api.openai.com/v1"
	// emptyAPIKey is sent to OpenAI-compatible servers that need no key
	// (vLLM, a local gateway); langchaingo refuses an empty one.
	emptyAPIKey = "EMPTY"
)

const providerForms = "ollama:MODEL (e.g. ollama:qwen2.5:7b) or openai:MODEL (e.g. openai:deepseek-chat)"

// splitProviderSpec splits "provider:model"; everything after the first
// colon is the model name, which may contain colons itself (qwen2.5:7b).
func splitProviderSpec(spec string) (provider, model string, err error) {
	provider, model, ok := strings.Cut(strings.TrimSpace(spec), ":")
	provider = strings.ToLower(strings.TrimSpace(provider))
	model = strings.TrimSpace(model)
	if !ok || model == "" || (provider != "ollama" && provider != "openai") {
		return "", "", fmt.Errorf("unsupported model %q: want %s", spec, providerForms)
	}
	return provider, model, nil
}

// newLLM builds the language model named by spec: "ollama:MODEL" talks to
// an Ollama server (baseURL, default http://127.0.0.1:11434);
// "openai:MODEL" to an OpenAI-compatible chat API (baseURL for vLLM,
// DeepSeek, DashScope, …; default api.openai.com). apiKey may be empty; a
// dummy key "EMPTY" is sent then. OpenAI-compatible requests carry the
// answer-length cap in the legacy max_tokens field, which those servers
// understand, rather than max_completion_tokens. hc may be nil. Errors,
// including those of later calls, never contain apiKey.
func newLLM(spec, baseURL, apiKey string, hc *http.Client) (llms.Model, error) {
	provider, model, err := splitProviderSpec(spec)
	if err != nil {
		return nil, err
	}
	switch provider {
	case "ollama":
		client, err := newOllamaClient(model, baseURL, hc)
		if err != nil {
			return nil, err
		}
		return redactingModel{Model: client, secret: apiKey}, nil
	default: // "openai"
		client, err := newOpenAIClient(baseURL, apiKey, hc, openai.WithModel(model))
		if err != nil {
			return nil, err
		}
		return redactingModel{Model: legacyMaxTokensModel{client}, secret: apiKey}, nil
	}
}

// newEmbedder builds the text embedder named by spec, through langchaingo's
// embeddings package: "ollama:MODEL" (e.g. ollama:nomic-embed-text, calling
// /api/embed) or "openai:MODEL" (e.g. openai:text-embedding-3-small,
// calling /embeddings at baseURL). It returns the embedding function and
// the embedder's name ("provider:model"), to be recorded with the vectors.
func newEmbedder(spec, baseURL, apiKey string, hc *http.Client) (func(ctx context.Context, text string) ([]float32, error), string, error) {
	provider, model, err := splitProviderSpec(spec)
	if err != nil {
		return nil, "", err
	}
	var client embeddings.EmbedderClient
	switch provider {
	case "ollama":
		client, err = newOllamaClient(model, baseURL, hc)
	default: // "openai"
		client, err = newOpenAIClient(baseURL, apiKey, hc, openai.WithEmbeddingModel(model))
	}
	if err != nil {
		return nil, "", err
	}
	// EmbedQuery indexes the client's result; make a short one an error.
	checked := embeddings.EmbedderClientFunc(func(ctx context.Context, texts []string) ([][]float32, error) {
		vs, err := client.CreateEmbedding(ctx, texts)
		if err == nil && len(vs) < len(texts) {
			err = fmt.Errorf("embedder returned %d vectors for %d texts", len(vs), len(texts))
		}
		return vs, err
	})
	e, err := embeddings.NewEmbedder(checked)
	if err != nil {
		return nil, "", fmt.Errorf("embedder %s: %w", spec, err)
	}
	name := provider + ":" + model
	embed := func(ctx context.Context, text string) ([]float32, error) {
		v, err := e.EmbedQuery(ctx, text)
		if err != nil {
			return nil, redact(fmt.Errorf("embed with %s: %w", name, err), apiKey)
		}
		if len(v) == 0 {
			return nil, fmt.Errorf("embed with %s: empty vector", name)
		}
		return v, nil
	}
	return embed, name, nil
}

func newOllamaClient(model, baseURL string, hc *http.Client) (*ollama.LLM, error) {
	if baseURL == "" {
		baseURL = defaultOllamaURL
	}
	// ollama.WithServerURL exits the process on a bad URL: check it first.
	if err := checkBaseURL(baseURL); err != nil {
		return nil, err
	}
	opts := []ollama.Option{ollama.WithServerURL(baseURL), ollama.WithModel(model)}
	if hc != nil {
		opts = append(opts, ollama.WithHTTPClient(hc))
	}
	client, err := ollama.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("ollama client for %s: %w", baseURL, err)
	}
	return client, nil
}

func newOpenAIClient(baseURL, apiKey string, hc *http.Client, extra ...openai.Option) (*openai.LLM, error) {
	if baseURL == "" {
		baseURL = defaultOpenAIURL
	}
	if err := checkBaseURL(baseURL); err != nil {
		return nil, err
	}
	if apiKey == "" {
		apiKey = emptyAPIKey
	}
	// Every setting is given explicitly, so langchaingo's own fallbacks to
	// OPENAI_* environment variables never apply: configuration comes
	// from cmd/fazhi only.
	opts := []openai.Option{openai.WithToken(apiKey), openai.WithBaseURL(baseURL), openai.WithModel(""), openai.WithOrganization("")}
	opts = append(opts, extra...)
	if hc != nil {
		opts = append(opts, openai.WithHTTPClient(hc))
	}
	client, err := openai.New(opts...)
	if err != nil {
		return nil, redact(fmt.Errorf("openai client for %s: %w", baseURL, err), apiKey)
	}
	return client, nil
}

func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("bad base URL %q: want http(s)://host[:port][/path]", raw)
	}
	return nil
}

// legacyMaxTokensModel sends the answer-length cap as max_tokens: vLLM,
// DeepSeek, DashScope and other OpenAI-compatible servers predate
// max_completion_tokens, langchaingo's default.
type legacyMaxTokensModel struct{ *openai.LLM }

func (m legacyMaxTokensModel) GenerateContent(ctx context.Context, msgs []llms.MessageContent, opts ...llms.CallOption) (*llms.ContentResponse, error) {
	opts = append(opts[:len(opts):len(opts)], copyMetadata, openai.WithLegacyMaxTokensField())
	return m.LLM.GenerateContent(ctx, msgs, opts...)
}

func (m legacyMaxTokensModel) Call(ctx context.Context, prompt string, opts ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, m, prompt, opts...)
}

// copyMetadata gives the call its own Metadata map, so that the legacy
// flag is not written into a map the caller passed with llms.WithMetadata.
func copyMetadata(o *llms.CallOptions) {
	md := make(map[string]any, len(o.Metadata)+1)
	for k, v := range o.Metadata {
		md[k] = v
	}
	o.Metadata = md
}

// redactingModel keeps the API key out of the errors a model returns
// (some servers echo the key they rejected).
type redactingModel struct {
	llms.Model
	secret string
}

func (m redactingModel) GenerateContent(ctx context.Context, msgs []llms.MessageContent, opts ...llms.CallOption) (*llms.ContentResponse, error) {
	resp, err := m.Model.GenerateContent(ctx, msgs, opts...)
	return resp, redact(err, m.secret)
}

func (m redactingModel) Call(ctx context.Context, prompt string, opts ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, m, prompt, opts...)
}

// redact returns err with secret masked in its message; errors.Is and
// errors.As still see the original chain.
func redact(err error, secret string) error {
	if err == nil || secret == "" || secret == emptyAPIKey || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), secret, "[REDACTED]"), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
