import { buildPayload } from '../worker/payload';
import type { Summary } from '../summaries/summary.engine';
import { hmacHexSignature, standardWebhooksSignature, type SignatureScheme } from '../signing';

export interface RequestSource {
  event: { id: string; type: string; createdAt: Date; dataJson: string | null; summary: Summary | null };
  endpoint: { headers: Record<string, string>; summaries: boolean; signatureScheme: SignatureScheme; secrets: string[] };
  userAgent: string;
}

export interface RequestAsSent {
  /** null on attempts recorded before the per-attempt headers were kept. */
  requestHeaders: Record<string, string> | null;
  /** null once the event's payload expired (RETENTION_DAYS). */
  requestBody: string | null;
  /**
   * The body is never stored twice: it is rebuilt from the event as the sender builds it
   * (worker/payload.ts). true: the rebuilt body matches the signature recorded with the
   * attempt, so it is byte for byte what was sent. false: it could not be checked (the secret
   * that signed it is gone, or no signature was recorded) and follows the endpoint's current
   * settings. The headers other than the timestamp and signature are the endpoint's current ones.
   */
  requestVerified: boolean;
}

/**
 * The request of one attempt as the receiver got it. `varying` is what the attempt recorded:
 * `webhook-timestamp` and the signature header.
 */
export function requestAsSent(source: RequestSource, varying: Record<string, string> | null): RequestAsSent {
  const { event, endpoint } = source;
  const bodyWith = (summary: boolean) => event.dataJson === null ? null
    : buildPayload({ id: event.id, type: event.type, createdAt: event.createdAt, dataJson: event.dataJson }, summary ? event.summary : null);
  // The endpoint's summaries setting may have changed since: the signature tells which body it was.
  const candidates = [...new Set([bodyWith(endpoint.summaries && event.summary !== null), bodyWith(event.summary !== null && !endpoint.summaries)])];
  let body = candidates[0];
  let verified = false;
  if (varying && body !== null) {
    const match = candidates.find((candidate) => candidate !== null && signedBy(endpoint, event.id, varying, candidate));
    if (match) {
      body = match;
      verified = true;
    }
  }
  if (!varying) return { requestHeaders: null, requestBody: body, requestVerified: false };
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': source.userAgent,
    ...Object.fromEntries(Object.entries(endpoint.headers).map(([name, value]) => [name.toLowerCase(), value])),
    'webhook-id': event.id,
    ...varying,
  };
  if (body !== null) headers['content-length'] = String(Buffer.byteLength(body));
  return { requestHeaders: headers, requestBody: body, requestVerified: verified };
}

/** Whether one of the endpoint's known secrets signed `body` into the recorded signature header. */
function signedBy(endpoint: RequestSource['endpoint'], eventId: string, varying: Record<string, string>, body: string): boolean {
  const timestamp = Number(varying['webhook-timestamp']);
  if (!Number.isSafeInteger(timestamp)) return false;
  if (endpoint.signatureScheme === 'standard-webhooks') {
    const recorded = (varying['webhook-signature'] ?? '').split(' ');
    return endpoint.secrets.some((secret) => recorded.includes(standardWebhooksSignature([secret], eventId, timestamp, body)));
  }
  const recorded = (varying['x-webhook-signature'] ?? '').split(',');
  return endpoint.secrets.some((secret) => recorded.includes(hmacHexSignature([secret], timestamp, body).split(',')[1]));
}
