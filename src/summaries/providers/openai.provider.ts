import { type Completion, type CompletionRequest, type FetchLike, type LlmProvider, ProviderError } from './provider';
import { defaultFetch, finiteNumber, isRecord, joinUrl, parseJsonObject, streamSse } from './sse-request';

export interface OpenAiProviderOptions {
  baseUrl: string;
  apiKey: string | null;
  model: string;
  fetch?: FetchLike;
  idleTimeoutMs?: number;
}

/** OpenAI chat completions, streamed; also Ollama, vLLM and llama.cpp through their compatible API. */
export class OpenAiProvider implements LlmProvider {
  readonly kind = 'openai';
  readonly name: string;
  readonly model: string;
  private readonly fetch: FetchLike;
  private readonly idleTimeoutMs: number;

  constructor(private readonly options: OpenAiProviderOptions) {
    this.model = options.model;
    this.name = `openai:${options.model}`;
    this.fetch = options.fetch ?? defaultFetch;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 5000;
  }

  async complete(req: CompletionRequest): Promise<Completion> {
    let text = '';
    let finishReason: string | null = null;
    let done = false;
    let inputTokens: number | null = null;
    let outputTokens: number | null = null;

    await streamSse({
      fetch: this.fetch,
      url: joinUrl(this.options.baseUrl, '/chat/completions'),
      headers: this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {},
      body: {
        model: this.model,
        stream: true,
        stream_options: { include_usage: true },
        temperature: 0.2,
        max_tokens: Math.ceil(req.maxChars / 2),
        messages: [
          { role: 'system', content: req.system },
          { role: 'user', content: req.user },
        ],
      },
      signal: req.signal,
      idleTimeoutMs: req.idleTimeoutMs ?? this.idleTimeoutMs,
      onEvent: (event) => {
        if (event.data.trim() === '[DONE]') {
          done = true;
          return true;
        }
        const chunk = parseJsonObject(event.data);
        if (chunk === null) throw new ProviderError('incomplete', 'unreadable stream chunk');
        if (chunk.error !== undefined && chunk.error !== null) throw inBandError(chunk.error);
        if (isRecord(chunk.usage)) {
          inputTokens = finiteNumber(chunk.usage.prompt_tokens);
          outputTokens = finiteNumber(chunk.usage.completion_tokens);
        }
        for (const choice of Array.isArray(chunk.choices) ? chunk.choices : []) {
          if (!isRecord(choice)) continue;
          if (isRecord(choice.delta) && typeof choice.delta.content === 'string') {
            text += choice.delta.content;
            if (text.length > req.maxChars) throw new ProviderError('too-long', `reply passed ${req.maxChars} characters`);
            if (choice.delta.content !== '') req.onDelta?.(choice.delta.content);
          }
          if (typeof choice.finish_reason === 'string') {
            finishReason = choice.finish_reason;
            if (finishReason === 'length') throw new ProviderError('too-long', 'reply hit the token limit');
            if (finishReason !== 'stop') throw new ProviderError('permanent', `finish_reason ${finishReason}`);
          }
        }
        return false;
      },
    });

    // [DONE] alone is what a proxy that lost the tail would send too: a finish_reason must have come.
    if (!done || finishReason === null) throw new ProviderError('incomplete', 'stream ended without finish_reason');
    return { text, model: this.model, inputTokens, outputTokens };
  }
}

function inBandError(error: unknown): ProviderError {
  const detail = isRecord(error) ? error : {};
  const code = `${String(detail.type ?? '')} ${String(detail.code ?? '')}`;
  const message = typeof detail.message === 'string' ? detail.message.slice(0, 200) : 'error';
  const permanent = /invalid_request|invalid_api_key|authentication|permission|not_found|content_filter|context_length/.test(code);
  return new ProviderError(permanent ? 'permanent' : 'transient', `in-band error: ${message}`);
}
