import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { fetch as undiciFetch } from 'undici';
import { type FetchLike, ProviderError } from './provider';
import { parseRetryAfter } from '../../common/retry-after';

export const defaultFetch: FetchLike = (url, init) => undiciFetch(url, init);

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_EVENT_BYTES = 64 * 1024;

export interface SseRequest {
  fetch: FetchLike;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  signal: AbortSignal;
  /** No response headers or body bytes for this long: the request is aborted as transient. */
  idleTimeoutMs: number;
  /** Returns true for the terminal event; throws a ProviderError to stop at once (the request is aborted). */
  onEvent(event: EventSourceMessage): boolean;
}

/**
 * POSTs a JSON body and feeds the server-sent events of the reply to `onEvent`. Resolves only
 * when the terminal event arrived; any early end, stall, abort or parse failure rejects with a
 * ProviderError. Whatever way it ends, the request is aborted so the connection does not
 * keep streaming into the void.
 */
export async function streamSse(req: SseRequest): Promise<void> {
  const local = new AbortController();
  const signal = AbortSignal.any([req.signal, local.signal]);
  let idleTimer: NodeJS.Timeout | undefined;
  const armIdle = (): void => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => local.abort(new ProviderError('transient', `no data for ${req.idleTimeoutMs} ms`)), req.idleTimeoutMs);
  };
  const failure = (error: unknown, stage: 'connect' | 'body'): ProviderError => {
    if (local.signal.aborted && local.signal.reason instanceof ProviderError) return local.signal.reason;
    if (error instanceof ProviderError) return error;
    if (req.signal.aborted) return new ProviderError('transient', `aborted: ${describe(req.signal.reason)}`, { cause: error });
    return stage === 'connect'
      ? new ProviderError('transient', `network error: ${describe(error)}`, { cause: error })
      : new ProviderError('incomplete', `stream broken: ${describe(error)}`, { cause: error });
  };

  armIdle();
  try {
    let response;
    try {
      response = await req.fetch(req.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...req.headers },
        body: JSON.stringify(req.body),
        signal,
      });
    } catch (error) {
      throw failure(error, 'connect');
    }
    if (response.status < 200 || response.status > 299) throw httpError(response.status, response.headers);
    if (response.body === null) throw new ProviderError('incomplete', 'empty response body');

    let terminal = false;
    let stop: unknown = null;
    const parser = createParser({
      maxBufferSize: MAX_EVENT_BYTES,
      onEvent: (event) => {
        if (terminal || stop !== null) return;
        try {
          terminal = req.onEvent(event);
        } catch (error) {
          stop = error;
        }
      },
      onError: (error) => {
        if (stop === null) stop = new ProviderError('incomplete', `unreadable stream: ${error.message}`);
      },
    });
    const decoder = new TextDecoder();
    let bytes = 0;
    try {
      for await (const chunk of response.body) {
        armIdle();
        bytes += chunk.byteLength;
        if (bytes > MAX_BODY_BYTES) throw new ProviderError('incomplete', 'response body too large');
        parser.feed(decoder.decode(chunk, { stream: true }));
        if (stop !== null) throw stop;
        if (terminal) return;
      }
    } catch (error) {
      throw failure(error, 'body');
    }
    throw new ProviderError('incomplete', 'stream ended before its terminal event');
  } finally {
    clearTimeout(idleTimer);
    if (!local.signal.aborted) local.abort(new ProviderError('transient', 'request finished'));
  }
}

export function httpError(status: number, headers: { get(name: string): string | null }, now = Date.now()): ProviderError {
  const retryAfterMs = providerRetryAfter(headers, now);
  // 529 is Anthropic's "overloaded"; 408/409/425 are worth another try by their definition.
  const transient = status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
  return new ProviderError(transient ? 'transient' : 'permanent', `HTTP ${status}`, { status, retryAfterMs });
}

/** `retry-after-ms` (OpenAI), else `Retry-After` read by the one strict parser (seconds or an HTTP date). */
export function providerRetryAfter(headers: { get(name: string): string | null }, now = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  return parseRetryAfter(headers.get('retry-after') ?? undefined, now) ?? undefined;
}

export function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function finiteNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

function describe(value: unknown): string {
  if (value instanceof Error) {
    const cause = value.cause instanceof Error ? ` (${value.cause.message})` : '';
    return `${value.message}${cause}`;
  }
  return String(value);
}
