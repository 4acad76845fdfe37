export interface CompletionRequest {
  system: string;
  user: string;
  /** The reply is cut off (and the request aborted) as soon as it grows past this. */
  maxChars: number;
  signal: AbortSignal;
  /** Each piece of reply text as it streams in (within `maxChars`); absent = the caller wants only the whole reply. */
  onDelta?(text: string): void;
  /** Overrides the provider's idle timeout (no bytes for this long aborts the call). */
  idleTimeoutMs?: number;
}

export interface Completion {
  text: string;
  model: string;
  inputTokens: number | null;
  outputTokens: number | null;
}

export interface LlmProvider {
  /** `openai:gpt-4o-mini`: names the provider in metrics, logs and the circuit breaker. */
  readonly name: string;
  readonly kind: string;
  readonly model: string;
  complete(req: CompletionRequest): Promise<Completion>;
}

export type ProviderErrorKind = 'transient' | 'permanent' | 'too-long' | 'incomplete';

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly status?: number;
  readonly retryAfterMs?: number;

  constructor(readonly kind: ProviderErrorKind, message: string, options: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The part of a fetch Response the adapters use: satisfied by undici's and Node's global fetch. */
export interface FetchResponse {
  status: number;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array> | null;
}

export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<FetchResponse>;
