import { redactBody } from './explain-prompt';

export interface AttemptFacts {
  number: number;
  startedAt: Date;
  responseStatus: number | null;
  error: string | null;
  responseBody: string | null;
  responseBodyEncoding: 'utf8' | 'base64' | null;
}

export interface DeliveryFacts {
  status: string;
  requestUrl: string | null;
  endpointEnabled: boolean;
  disabledReason: string | null;
  timeoutMs: number;
  attempts: AttemptFacts[];
}

const SNIPPET_CHARS = 200;

/**
 * "Why is this failing?" without a model: what the attempts show and what the receiver's owner
 * can do, from the status codes and errors. Response snippets are redacted like model input.
 */
export function explainOffline(facts: DeliveryFacts): string {
  const failed = facts.attempts.filter((a) => !(a.responseStatus !== null && a.responseStatus >= 200 && a.responseStatus < 300 && a.error === null));
  if (facts.attempts.length === 0) return 'This delivery has not been attempted yet, so there is nothing to explain. It is sent as soon as the endpoint has capacity.';
  if (failed.length === 0) return `All ${facts.attempts.length} attempts of this delivery succeeded: the receiver answered with a 2xx status.`;
  const last = failed[failed.length - 1];
  const parts: string[] = [];
  parts.push(`${failed.length} of ${facts.attempts.length} attempts failed. The latest failure (attempt ${last.number}) ${describe(last)}.`);
  const kinds = new Set(failed.map(kind));
  if (kinds.size > 1) parts.push(`The failures differ: ${[...kinds].join(', ')}.`);
  const snippet = snippetOf(last);
  if (snippet) parts.push(`The receiver answered: "${snippet}".`);
  parts.push(advice(last, facts));
  if (!facts.endpointEnabled) {
    parts.push(facts.disabledReason === 'gone' ? 'The endpoint is disabled because it answered 410 Gone; enable it once the URL works again.'
      : facts.disabledReason === 'failing' ? 'The endpoint was disabled because every delivery failed for days; fix the receiver, then enable it.'
      : 'The endpoint is disabled, so nothing more is sent to it until it is enabled.');
  } else if (facts.status === 'failed') {
    parts.push('Every scheduled attempt is used up: once the receiver is fixed, retry this delivery or recover the endpoint\'s failed deliveries since a time.');
  } else if (facts.status === 'pending') {
    parts.push('More attempts are scheduled; the delivery succeeds by itself once the receiver answers with a 2xx.');
  }
  return parts.join('\n\n');
}

function describe(a: AttemptFacts): string {
  if (a.responseStatus !== null) return `got HTTP ${a.responseStatus}${a.error ? ` and then ${a.error}` : ''}`;
  return `got no response: ${a.error ?? 'unknown error'}`;
}

function kind(a: AttemptFacts): string {
  return a.responseStatus !== null ? `HTTP ${a.responseStatus}` : a.error ?? 'no response';
}

function snippetOf(a: AttemptFacts): string | null {
  if (!a.responseBody || a.responseBodyEncoding !== 'utf8') return null;
  const text = redactBody(a.responseBody).replace(/\s+/g, ' ').trim();
  if (!text) return null;
  return text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS)}…` : text;
}

function advice(a: AttemptFacts, facts: DeliveryFacts): string {
  const status = a.responseStatus;
  const error = (a.error ?? '').toLowerCase();
  if (status === 401 || status === 403) return 'The receiver refused the request as unauthorised. Check its signature verification: it must use this endpoint\'s current secret (after a rotation, both the old and the new secret are sent during the grace period), the raw request body as received, and the webhook-id and webhook-timestamp headers.';
  if (status === 404) return `The URL path was not found on the receiver. Check that ${facts.requestUrl ?? 'the endpoint URL'} is the route that handles webhooks, and update the endpoint if it moved.`;
  if (status === 410) return 'The receiver said the endpoint is gone (410), so it was disabled. Point it at a working URL and enable it again.';
  if (status === 429) return 'The receiver is rate limiting us (429). Retries honour its Retry-After header; raise its limit, or set the endpoint\'s rateLimitPerSecond or maxInFlight lower.';
  if (status !== null && status >= 500) return 'The receiver had a server error. Look at its own logs at the times of these attempts; the response body above may name the cause.';
  if (status !== null && status >= 300 && status < 400) return 'The receiver answered with a redirect, and redirects are not followed. Use the final URL as the endpoint URL.';
  if (status !== null && status >= 400) return 'The receiver refused the request. Check what it expects of the body and headers; the response above may say which field it did not accept.';
  if (error.includes('timeout')) return `The receiver did not answer within ${facts.timeoutMs} ms (DELIVERY_TIMEOUT_MS). Answer with a 2xx at once and do the work afterwards, in a queue of its own.`;
  if (error.includes('blocked')) return 'The endpoint URL resolves to a private or otherwise non-public address, which is not allowed. Use a public address.';
  if (error.includes('refused') || error.includes('dns') || error.includes('enotfound') || error.includes('tls') || error.includes('certificate') || error.includes('reset')) {
    return 'The receiver could not be reached. Check that the host name resolves, that the server is up and listening on that port, that a firewall lets us in, and that its TLS certificate is valid.';
  }
  return 'Check that the receiver is up and answers with a 2xx status quickly.';
}

/** The explanation in small pieces, as a stream would write it: words with their spacing. */
export function chunksOf(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}
