import { chunksOf, explainOffline, AttemptFacts } from './offline-explainer';

const attempt = (over: Partial<AttemptFacts>): AttemptFacts => ({ number: 1, startedAt: new Date(), responseStatus: null, error: null, responseBody: null, responseBodyEncoding: null, ...over });
const facts = (attempts: AttemptFacts[]) => ({ status: 'failed', requestUrl: 'https://x.test/hook', endpointEnabled: true, disabledReason: null, timeoutMs: 15000, attempts });

describe('explainOffline', () => {
  it.each([
    [401, 'signature'], [403, 'secret'], [404, 'path'], [410, 'gone'], [429, 'Retry-After'], [503, 'server error'],
  ])('HTTP %i → advice about %s', (status, word) => {
    expect(explainOffline(facts([attempt({ responseStatus: status, responseBody: 'nope', responseBodyEncoding: 'utf8' })]))).toContain(word);
  });

  it.each([['timeout', 'DELIVERY_TIMEOUT_MS'], ['connection refused', 'reached'], ['blocked address', 'non-public']])('%s → %s', (error, word) => {
    expect(explainOffline(facts([attempt({ error })]))).toContain(word);
  });

  it('quotes the response redacted, and its chunks join back into the text', () => {
    const text = explainOffline(facts([attempt({ responseStatus: 500, responseBody: 'db down, mail ops@example.com', responseBodyEncoding: 'utf8' })]));
    expect(text).toContain('db down');
    expect(text).not.toContain('ops@example.com');
    expect(chunksOf(text).join('')).toBe(text);
    expect(chunksOf(text).length).toBeGreaterThan(10);
  });
});
