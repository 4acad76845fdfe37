import { buildPayload } from '../worker/payload';
import { signatureHeaders } from '../signing';
import { requestAsSent, RequestSource } from './request-as-sent';

const SECRET = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
const OLD = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
const event = { id: 'evt_1', type: 'invoice.paid', createdAt: new Date('2026-11-27T10:00:00.000Z'), dataJson: '{"amount":1.50}', summary: { text: 'Paid.', source: 'offline' as const, model: null } };

function source(over: Partial<RequestSource['endpoint']> = {}): RequestSource {
  return { event, endpoint: { headers: { 'X-Team': 'a' }, summaries: true, signatureScheme: 'standard-webhooks', secrets: [SECRET], ...over }, userAgent: 'ua/1' };
}

function sent(secret: string, withSummary: boolean, scheme: 'standard-webhooks' | 'hmac-sha256-hex' = 'standard-webhooks') {
  const body = buildPayload(event, withSummary ? event.summary : null);
  const varying: Record<string, string> = { 'webhook-timestamp': '1764237600', ...signatureHeaders(scheme, [secret], event.id, 1764237600, body) };
  return { body, varying };
}

describe('requestAsSent', () => {
  it('rebuilds the exact body and checks it against the recorded signature', () => {
    const { body, varying } = sent(SECRET, true);
    const rebuilt = requestAsSent(source(), varying);
    expect(rebuilt).toEqual({
      requestBody: body,
      requestVerified: true,
      requestHeaders: {
        'content-type': 'application/json', 'user-agent': 'ua/1', 'x-team': 'a', 'webhook-id': 'evt_1',
        'webhook-timestamp': '1764237600', 'webhook-signature': varying['webhook-signature'], 'content-length': String(Buffer.byteLength(body)),
      },
    });
    expect(rebuilt.requestBody).toContain('"data":{"amount":1.50}');
  });

  it('finds the body sent before the summaries setting changed, for either scheme', () => {
    const before = sent(SECRET, false, 'hmac-sha256-hex');
    const rebuilt = requestAsSent(source({ signatureScheme: 'hmac-sha256-hex' }), before.varying);
    expect(rebuilt.requestBody).toBe(before.body);
    expect(rebuilt.requestVerified).toBe(true);
  });

  it('says so when the signature cannot be checked (the secret rotated away) or was not recorded', () => {
    expect(requestAsSent(source(), sent(OLD, true).varying).requestVerified).toBe(false);
    expect(requestAsSent(source(), null)).toEqual({ requestHeaders: null, requestBody: sent(SECRET, true).body, requestVerified: false });
    expect(requestAsSent({ ...source(), event: { ...event, dataJson: null } }, sent(SECRET, true).varying).requestBody).toBeNull();
  });
});
