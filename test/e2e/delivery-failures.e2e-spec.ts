import { createServer } from 'node:net';
import { AddressInfo } from 'node:net';
import { createEndpoint, publish, TestApp, useAppWithReceiver } from '../support/app';
import { onlyDelivery, waitForDelivery, waitForStatus } from '../support/deliveries';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/** SPEC §3/§4: how failed attempts are recorded (redirects, timeouts, refused connections, big bodies). */
describe('delivery failures in the log', () => {
  let app: TestApp;
  let receiver: TestReceiver;
  let tenantId: string;

  useAppWithReceiver(
    {
      RETRY_SCHEDULE: '300ms',
      RETRY_JITTER: '0',
      DELIVERY_TIMEOUT_MS: '500',
      RESPONSE_CAPTURE_BYTES: '1024',
      LOG_LEVEL: 'error',
    },
    (ctx) => ({ app, receiver, tenantId } = ctx),
  );
  beforeAll(() => {
    receiver.respondWith((req, res) => {
      if (req.path === '/redirect') res.writeHead(302, { location: `${receiver.url}/redirect-target` }).end('moved');
      else if (req.path === '/hang') return; // never answers
      else if (req.path === '/big') res.writeHead(200, { 'content-type': 'text/plain' }).end('abcdefghij'.repeat(10_240));
      else if (req.path === '/broken-body') {
        // 200, then the connection drops before the promised body ends; answers in full the second time
        if (receiver.forPath('/broken-body').length === 1) {
          res.writeHead(200, { 'content-length': '1000' });
          res.write('partial');
          setTimeout(() => res.socket?.destroy(), 20);
        } else res.writeHead(200).end('ok');
      } else if (req.path === '/trickle') {
        // 200, then a byte every 200 ms: the whole attempt runs past DELIVERY_TIMEOUT_MS (500 ms)
        res.writeHead(200, { 'content-type': 'text/plain' });
        const timer = setInterval(() => res.write('.'), 200);
        res.on('close', () => clearInterval(timer));
      } else if (req.path === '/endless') {
        // 200 and a body that never ends, fast: we stop at RESPONSE_CAPTURE_BYTES, and that is a success
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = 'x'.repeat(4096);
        const pump = () => {
          while (res.write(chunk)) { /* fill the socket */ }
        };
        res.on('drain', pump);
        pump();
      } else if (req.path === '/big-utf8') res.writeHead(500, { 'content-type': 'text/plain' }).end('é'.repeat(50_000));
      else res.writeHead(200).end('ok');
    });
  });

  async function deliverTo(url: string, type: string): Promise<string> {
    await createEndpoint(app, tenantId, { url, eventTypes: [type] });
    const event = await publish(app, tenantId, type, { a: 1 });
    return (await onlyDelivery(app, tenantId, event.id)).id;
  }

  it('does not follow a 3xx: "redirect not followed", the Location is never requested', async () => {
    const id = await deliverTo(`${receiver.url}/redirect`, 'fail.redirect');
    const done = await waitForStatus(app, tenantId, id, 'failed');
    expect(done.attempts).toHaveLength(2);
    for (const a of done.attempts) expect(a).toMatchObject({ responseStatus: 302, error: 'redirect not followed', responseBody: 'moved' });
    expect(receiver.forPath('/redirect')).toHaveLength(2);
    expect(receiver.forPath('/redirect-target')).toHaveLength(0);
  });

  it('gives up after DELIVERY_TIMEOUT_MS on a receiver that never answers: "timeout"', async () => {
    const id = await deliverTo(`${receiver.url}/hang`, 'fail.timeout');
    const d = await waitForDelivery(app, tenantId, id, (x) => x.attempts.length >= 1, 10_000);
    const a = d.attempts[0];
    expect(a).toMatchObject({ error: 'timeout', responseStatus: null, responseBody: null, trigger: 'scheduled' });
    expect(a.durationMs).toBeGreaterThanOrEqual(450);
    expect(a.durationMs).toBeLessThan(3000);
    const done = await waitForStatus(app, tenantId, id, 'failed');
    expect(done.attempts.map((x: any) => x.error)).toEqual(['timeout', 'timeout']);
  });

  it('fails a 2xx whose body breaks off, with its error, and retries it', async () => {
    const id = await deliverTo(`${receiver.url}/broken-body`, 'fail.broken-body');
    const done = await waitForStatus(app, tenantId, id, 'succeeded');
    expect(done.attempts).toHaveLength(2);
    expect(done.attempts[0]).toMatchObject({ responseStatus: 200, error: 'connection reset' });
    expect(done.attempts[1]).toMatchObject({ responseStatus: 200, error: null });
  });

  it('fails a 2xx whose body trickles past DELIVERY_TIMEOUT_MS: "timeout"', async () => {
    const id = await deliverTo(`${receiver.url}/trickle`, 'fail.trickle');
    const done = await waitForStatus(app, tenantId, id, 'failed');
    expect(done.attempts.map((a: any) => [a.responseStatus, a.error])).toEqual([[200, 'timeout'], [200, 'timeout']]);
  });

  it('counts a 2xx with an endless body as a success once RESPONSE_CAPTURE_BYTES are read', async () => {
    const id = await deliverTo(`${receiver.url}/endless`, 'ok.endless');
    const done = await waitForStatus(app, tenantId, id, 'succeeded');
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({ responseStatus: 200, error: null, responseBodyTruncated: true });
    expect(done.attempts[0].responseBody).toHaveLength(1024);
  });

  it('records "connection refused" when nothing listens', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const id = await deliverTo(`http://127.0.0.1:${port}/nobody`, 'fail.refused');
    const done = await waitForStatus(app, tenantId, id, 'failed');
    expect(done.attempts).toHaveLength(2);
    for (const a of done.attempts) expect(a).toMatchObject({ error: 'connection refused', responseStatus: null, requestUrl: `http://127.0.0.1:${port}/nobody` });
  });

  it('captures at most RESPONSE_CAPTURE_BYTES of a 100 KB response and marks it truncated', async () => {
    const id = await deliverTo(`${receiver.url}/big`, 'fail.big');
    const done = await waitForStatus(app, tenantId, id, 'succeeded');
    const [a] = done.attempts;
    expect(a.responseStatus).toBe(200);
    expect(a.responseBodyTruncated).toBe(true);
    expect(a.responseBodyEncoding).toBe('utf8');
    expect(a.responseBody).toBe('abcdefghij'.repeat(103).slice(0, 1024));
    expect(a.error).toBeNull();
  });

  it('does not cut a UTF-8 character in half at the capture limit', async () => {
    const id = await deliverTo(`${receiver.url}/big-utf8`, 'fail.bigutf8');
    const d = await waitForDelivery(app, tenantId, id, (x) => x.attempts.length >= 1);
    const [a] = d.attempts;
    expect(a.responseStatus).toBe(500);
    expect(a.responseBodyTruncated).toBe(true);
    expect(a.responseBodyEncoding).toBe('utf8');
    expect(a.responseBody).toBe('é'.repeat(512));
    await waitFor(() => receiver.forPath('/big-utf8').length === 2);
  });
});
