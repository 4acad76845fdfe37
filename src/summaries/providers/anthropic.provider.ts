import { type Completion, type CompletionRequest, type FetchLike, type LlmProvider, ProviderError } from './provider';
import { defaultFetch, finiteNumber, isRecord, joinUrl, parseJsonObject, streamSse } from './sse-request';

export interface AnthropicProviderOptions {
  baseUrl: string;
  apiKey: string | null;
  model: string;
  fetch?: FetchLike;
  idleTimeoutMs?: number;
}

const TRANSIENT_ERROR_TYPES = new Set(['overloaded_error', 'api_error', 'rate_limit_error', 'timeout_error']);

/** Anthropic Messages API, streamed. A reply counts only once `message_stop` arrived. */
export class AnthropicProvider implements LlmProvider {
  readonly kind = 'anthropic';
  readonly name: string;
  readonly model: string;
  private readonly fetch: FetchLike;
  private readonly idleTimeoutMs: number;

  constructor(private readonly options: AnthropicProviderOptions) {
    this.model = options.model;
    this.name = `anthropic:${options.model}`;
    this.fetch = options.fetch ?? defaultFetch;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 5000;
  }

  async complete(req: CompletionRequest): Promise<Completion> {
    let text = '';
    let inputTokens: number | null = null;
    let outputTokens: number | null = null;
    let stopped = false;

    await streamSse({
      fetch: this.fetch,
      url: joinUrl(this.options.baseUrl, '/v1/messages'),
      headers: {
        'anthropic-version': '2023-06-01',
        ...(this.options.apiKey ? { 'x-api-key': this.options.apiKey } : {}),
      },
      body: {
        model: this.model,
        stream: true,
        max_tokens: Math.ceil(req.maxChars / 2),
        temperature: 0.2,
        system: req.system,
        messages: [{ role: 'user', content: req.user }],
      },
      signal: req.signal,
      idleTimeoutMs: req.idleTimeoutMs ?? this.idleTimeoutMs,
      onEvent: (event) => {
        const data = parseJsonObject(event.data);
        if (data === null) throw new ProviderError('incomplete', 'unreadable stream event');
        const type = event.event ?? (typeof data.type === 'string' ? data.type : '');
        switch (type) {
          case 'message_start':
            if (isRecord(data.message) && isRecord(data.message.usage)) inputTokens = finiteNumber(data.message.usage.input_tokens);
            return false;
          case 'content_block_delta':
            if (isRecord(data.delta) && data.delta.type === 'text_delta' && typeof data.delta.text === 'string') {
              text += data.delta.text;
              if (text.length > req.maxChars) throw new ProviderError('too-long', `reply passed ${req.maxChars} characters`);
              if (data.delta.text !== '') req.onDelta?.(data.delta.text);
            }
            return false;
          case 'message_delta':
            if (isRecord(data.usage)) outputTokens = finiteNumber(data.usage.output_tokens) ?? outputTokens;
            if (isRecord(data.delta)) {
              const reason = data.delta.stop_reason;
              if (reason === 'max_tokens') throw new ProviderError('too-long', 'reply hit the token limit');
              if (typeof reason === 'string' && reason !== 'end_turn' && reason !== 'stop_sequence') {
                throw new ProviderError('permanent', `stop_reason ${reason}`);
              }
            }
            return false;
          case 'message_stop':
            stopped = true;
            return true;
          case 'error': {
            const error = isRecord(data.error) ? data.error : {};
            const errorType = typeof error.type === 'string' ? error.type : '';
            const message = typeof error.message === 'string' ? error.message.slice(0, 200) : 'error';
            throw new ProviderError(TRANSIENT_ERROR_TYPES.has(errorType) ? 'transient' : 'permanent', `in-band ${errorType}: ${message}`);
          }
          default:
            return false; // ping, content_block_start/stop and event types added later
        }
      },
    });

    if (!stopped) throw new ProviderError('incomplete', 'stream ended without message_stop');
    return { text, model: this.model, inputTokens, outputTokens };
  }
}
