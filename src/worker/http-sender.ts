import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { isPublicAddress, safeLookup } from '../address-policy/address-policy';
import type { CancelScope } from './cancel-scope';

export interface SendResult {
  status: number | null;
  durationMs: number;
  body: string | null;
  bodyEncoding: 'utf8' | 'base64' | null;
  bodyTruncated: boolean;
  /** Null only when the receiver answered in full; a status can come with an error (3xx, stalled body). */
  error: string | null;
  retryAfter: string | undefined;
}

export interface HttpSenderOptions {
  timeoutMs: number;
  responseCaptureBytes: number;
  allowPrivateTargets: boolean;
  userAgent: string;
  connectionsPerOrigin?: number;
}

interface CapturedBody {
  bytes: Buffer;
  truncated: boolean;
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|EPROTO$)/;
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);
const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
]);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED']);

export class HttpSender {
  private readonly agent: Agent;

  constructor(private readonly options: HttpSenderOptions) {
    this.agent = new Agent({
      connections: options.connectionsPerOrigin ?? 32,
      pipelining: 1,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: {
        timeout: options.timeoutMs,
        lookup: options.allowPrivateTargets ? undefined : safeLookup,
      },
    });
  }

  /** `cancel` aborts the attempt (shutdown); it holds one listener for all the attempts of its job. */
  async post(url: string, headers: Record<string, string>, body: string, cancel?: CancelScope): Promise<SendResult> {
    const started = performance.now();
    const result = (partial: Partial<SendResult>): SendResult => ({
      status: null,
      body: null,
      bodyEncoding: null,
      bodyTruncated: false,
      error: null,
      retryAfter: undefined,
      ...partial,
      durationMs: Math.round(performance.now() - started),
    });

    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return result({ error: 'invalid url' });
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return result({ error: 'invalid url' });
    // Literal IPs never reach a lookup function, so safeLookup cannot see them.
    if (!this.options.allowPrivateTargets && this.isBlockedLiteral(target.hostname)) {
      return result({ error: 'blocked address' });
    }

    // One controller and one timer per attempt: AbortSignal.timeout + AbortSignal.any cost more
    // per request and AbortSignal.any leaks listeners on a long-lived signal in Node 20.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(TIMED_OUT), this.options.timeoutMs);
    const unregister = cancel?.add(controller);
    let status: number | null = null;
    let retryAfter: string | undefined;
    try {
      const response = await this.agent.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers: this.requestHeaders(headers, body),
        body,
        signal: controller.signal,
      });
      status = response.statusCode;
      retryAfter = firstHeader(response.headers['retry-after']);
      const captured = await captureBody(response.body, this.options.responseCaptureBytes);
      const encoded = encodeBody(captured);
      const redirected = status >= 300 && status < 400;
      return result({
        status,
        retryAfter,
        ...encoded,
        bodyTruncated: captured.truncated,
        error: redirected ? 'redirect not followed' : null,
      });
    } catch (error: unknown) {
      return result({ status, retryAfter, error: describeSendError(error, controller.signal, cancel?.aborted ?? false) });
    } finally {
      clearTimeout(timer);
      unregister?.();
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private isBlockedLiteral(hostname: string): boolean {
    const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    return isIP(host) !== 0 && !isPublicAddress(host);
  }

  private requestHeaders(headers: Record<string, string>, body: string): Record<string, string> {
    const merged: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': this.options.userAgent,
    };
    for (const [name, value] of Object.entries(headers)) merged[name.toLowerCase()] = value;
    merged['content-length'] = String(Buffer.byteLength(body));
    return merged;
  }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads at most `cap` bytes, then destroys the stream: a receiver answering with gigabytes must
 * not cost us more than the cap. Leaving the loop early destroys the body, which frees the socket.
 */
async function captureBody(stream: AsyncIterable<Buffer | string>, cap: number): Promise<CapturedBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const raw of stream) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const room = cap - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      size += room;
      truncated = true;
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { bytes: Buffer.concat(chunks, size), truncated };
}

/** Length of `bytes` without a UTF-8 sequence that the cap cut short. */
function withoutCutSequence(bytes: Buffer): number {
  let lead = bytes.length - 1;
  while (lead >= 0 && bytes.length - lead < 4 && (bytes[lead] & 0xc0) === 0x80) lead -= 1;
  if (lead < 0) return bytes.length;
  const byte = bytes[lead];
  const expected = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
  return bytes.length - lead < expected ? lead : bytes.length;
}

function encodeBody(captured: CapturedBody): Pick<SendResult, 'body' | 'bodyEncoding'> {
  const text = captured.truncated ? captured.bytes.subarray(0, withoutCutSequence(captured.bytes)) : captured.bytes;
  try {
    return { body: new TextDecoder('utf-8', { fatal: true }).decode(text), bodyEncoding: 'utf8' };
  } catch {
    return { body: captured.bytes.toString('base64'), bodyEncoding: 'base64' };
  }
}

function errorChain(error: unknown): unknown[] {
  const seen: unknown[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.length < 10) {
    const current = queue.shift();
    if (current === undefined || current === null || seen.includes(current)) continue;
    seen.push(current);
    if (current instanceof Error) {
      queue.push(current.cause);
      if (current instanceof AggregateError) queue.push(...(current.errors as unknown[]));
    }
  }
  return seen;
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' ? code : undefined;
}

/** Short, secret-free text for the delivery log. */
/** The abort reason of an attempt that ran past DELIVERY_TIMEOUT_MS. */
export const TIMED_OUT = Symbol('timed out');

export function describeSendError(error: unknown, attempt: AbortSignal, cancelled: boolean): string {
  if (cancelled) return 'aborted';
  if (attempt.aborted && attempt.reason === TIMED_OUT) return 'timeout';
  const codes = errorChain(error)
    .map(codeOf)
    .filter((code): code is string => code !== undefined);
  if (codes.includes('EBLOCKED')) return 'blocked address';
  if (codes.some((code) => TIMEOUT_CODES.has(code))) return 'timeout';
  if (codes.includes('ECONNREFUSED')) return 'connection refused';
  if (codes.some((code) => DNS_CODES.has(code))) return 'dns lookup failed';
  if (codes.some((code) => TLS_CODE.test(code))) return 'tls error';
  if (codes.some((code) => RESET_CODES.has(code))) return 'connection reset';
  if (codes.length > 0) return `network error: ${codes[0]}`;
  const message = error instanceof Error ? error.message : String(error);
  return `network error: ${message.slice(0, 200)}`;
}
