import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeSendError, TIMED_OUT, HttpSender } from './http-sender';
import { CancelScope } from './cancel-scope';

interface ReceivedRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
}

interface TestServer {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];

async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const testServer: TestServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(testServer);
  return testServer;
}

const TIMEOUT_MS = 250;
const CAP = 1024;
let sender: HttpSender;

beforeEach(() => {
  sender = new HttpSender({
    timeoutMs: TIMEOUT_MS,
    responseCaptureBytes: CAP,
    allowPrivateTargets: true,
    userAgent: 'webhook-test/1.0',
  });
});

afterEach(async () => {
  await sender.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const payload = '{"id":"evt_1","type":"invoice.paid","data":{}}';

describe('HttpSender', () => {
  it('posts the body with the given headers and captures a 200', async () => {
    const server = await startServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
    const result = await sender.post(`${server.url}/hooks?x=1`, { 'webhook-id': 'evt_1', 'X-Custom': 'yes' }, payload);

    expect(result).toEqual({
      status: 200,
      durationMs: expect.any(Number),
      body: 'ok',
      bodyEncoding: 'utf8',
      bodyTruncated: false,
      error: null,
      retryAfter: undefined,
    });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      url: '/hooks?x=1',
      body: payload,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'webhook-test/1.0',
        'webhook-id': 'evt_1',
        'x-custom': 'yes',
      },
    });
  });

  it('captures the body of a 500 and the Retry-After of a 503', async () => {
    const server = await startServer((req, res) => {
      if (req.url === '/busy') res.writeHead(503, { 'retry-after': '120' }).end();
      else res.writeHead(500).end('{"error":"boom"}');
    });
    await expect(sender.post(`${server.url}/`, {}, payload)).resolves.toMatchObject({
      status: 500,
      body: '{"error":"boom"}',
      bodyEncoding: 'utf8',
      error: null,
    });
    await expect(sender.post(`${server.url}/busy`, {}, payload)).resolves.toMatchObject({
      status: 503,
      body: '',
      retryAfter: '120',
      error: null,
    });
  });

  it('does not follow a redirect', async () => {
    let targetHits = 0;
    const server = await startServer((req, res) => {
      if (req.url === '/target') {
        targetHits += 1;
        res.writeHead(200).end('followed');
      } else {
        res.writeHead(302, { location: '/target' }).end('moved');
      }
    });
    const result = await sender.post(`${server.url}/start`, {}, payload);
    expect(result).toMatchObject({ status: 302, error: 'redirect not followed', body: 'moved' });
    expect(targetHits).toBe(0);
  });

  it('times out when headers never come', async () => {
    const server = await startServer(() => undefined);
    const started = Date.now();
    const result = await sender.post(server.url, {}, payload);
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ status: null, error: 'timeout', body: null });
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 500);
  });

  it('times out when the body stalls after the headers', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    const started = Date.now();
    const result = await sender.post(server.url, {}, payload);
    expect(result).toMatchObject({ status: 200, error: 'timeout' });
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 500);
  });

  it('bounds the whole attempt, not each read: a trickling body still times out', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('.'), 50);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const result = await sender.post(server.url, {}, payload);
    expect(result.error).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 500);
  });

  it('truncates a 1 MB response to the cap and keeps working afterwards', async () => {
    const server = await startServer((req, res) => {
      if (req.url === '/big') res.writeHead(200).end('a'.repeat(1024 * 1024));
      else res.writeHead(200).end('small');
    });
    const result = await sender.post(`${server.url}/big`, {}, payload);
    expect(result).toMatchObject({ status: 200, bodyEncoding: 'utf8', bodyTruncated: true, error: null });
    expect(result.body).toBe('a'.repeat(CAP));
    await expect(sender.post(`${server.url}/small`, {}, payload)).resolves.toMatchObject({ status: 200, body: 'small' });
  });

  it('does not call a body of exactly the cap truncated', async () => {
    const server = await startServer((_req, res) => res.writeHead(200).end('b'.repeat(CAP)));
    const result = await sender.post(server.url, {}, payload);
    expect(result).toMatchObject({ bodyTruncated: false, bodyEncoding: 'utf8' });
    expect(result.body).toHaveLength(CAP);
  });

  it('drops a multi-byte character cut by the cap and stays UTF-8', async () => {
    const server = await startServer((_req, res) => res.writeHead(200).end('€'.repeat(1000)));
    const result = await sender.post(server.url, {}, payload);
    // 1024 bytes hold 341 whole three-byte characters and one byte of the next.
    expect(result).toMatchObject({ bodyEncoding: 'utf8', bodyTruncated: true, body: '€'.repeat(341) });
  });

  it('returns a binary body as base64', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe, 0x80]);
    const server = await startServer((_req, res) => res.writeHead(200).end(bytes));
    const result = await sender.post(server.url, {}, payload);
    expect(result).toMatchObject({ bodyEncoding: 'base64', bodyTruncated: false, body: bytes.toString('base64') });
  });

  it('reports connection refused for a closed port', async () => {
    const server = await startServer(() => undefined);
    await server.close();
    const result = await sender.post(server.url, {}, payload);
    expect(result).toMatchObject({ status: null, error: 'connection refused', body: null });
  });

  it('reports connection reset when the receiver drops the socket', async () => {
    const server = await startServer((req) => req.socket.destroy());
    const result = await sender.post(server.url, {}, payload);
    expect(result).toMatchObject({ status: null, error: 'connection reset' });
  });

  it('reports aborted when the caller aborts', async () => {
    const server = await startServer(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const result = await sender.post(server.url, {}, payload, new CancelScope(controller.signal));
    expect(result).toMatchObject({ status: null, error: 'aborted' });
  });

  it('adds one listener to the job signal however many attempts share it', async () => {
    const server = await startServer((_req, res) => setTimeout(() => res.writeHead(200).end('ok'), 20));
    const controller = new AbortController();
    const added = jest.spyOn(controller.signal, 'addEventListener');
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const scope = new CancelScope(controller.signal);
      const results = await Promise.all(Array.from({ length: 30 }, () => sender.post(server.url, {}, payload, scope)));
      scope.dispose();
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(added).toHaveBeenCalledTimes(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });


  it('never throws on a bad url', async () => {
    await expect(sender.post('not a url', {}, payload)).resolves.toMatchObject({ status: null, error: 'invalid url' });
  });

  describe('with private targets refused', () => {
    let guarded: HttpSender;
    beforeEach(() => {
      guarded = new HttpSender({
        timeoutMs: TIMEOUT_MS,
        responseCaptureBytes: CAP,
        allowPrivateTargets: false,
        userAgent: 'webhook-test/1.0',
      });
    });
    afterEach(async () => guarded.close());

    it.each(['127.0.0.1', 'localhost'])('blocks %s before any request is sent', async (host) => {
      const server = await startServer((_req, res) => res.writeHead(200).end('ok'));
      const result = await guarded.post(`http://${host}:${server.port}/`, {}, payload);
      expect(result).toMatchObject({ status: null, error: 'blocked address' });
      expect(server.requests).toHaveLength(0);
    });
  });
});

describe('describeSendError', () => {
  const withCode = (code: string, message = 'failure'): Error => Object.assign(new Error(message), { code });
  const idle = new AbortController().signal;

  it.each([
    [withCode('EBLOCKED', 'blocked address'), 'blocked address'],
    [withCode('ECONNREFUSED'), 'connection refused'],
    [new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed'), 'connection refused'],
    [withCode('ENOTFOUND', 'getaddrinfo ENOTFOUND hooks.example.com'), 'dns lookup failed'],
    [withCode('EAI_AGAIN'), 'dns lookup failed'],
    [withCode('UND_ERR_CONNECT_TIMEOUT'), 'timeout'],
    [withCode('UND_ERR_HEADERS_TIMEOUT'), 'timeout'],
    [withCode('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls error'],
    [withCode('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls error'],
    [new Error('fetch failed', { cause: withCode('CERT_HAS_EXPIRED') }), 'tls error'],
    [withCode('ECONNRESET'), 'connection reset'],
    [withCode('UND_ERR_SOCKET', 'other side closed'), 'connection reset'],
    [withCode('EHOSTUNREACH'), 'network error: EHOSTUNREACH'],
    [new Error('something odd'), 'network error: something odd'],
  ])('%p -> %p', (error, expected) => expect(describeSendError(error, idle, false)).toBe(expected));

  it('prefers the cause of an abort over the error it produced', () => {
    const timedOut = new AbortController();
    timedOut.abort(TIMED_OUT);
    const error = new DOMException('This operation was aborted', 'AbortError');
    expect(describeSendError(error, idle, true)).toBe('aborted');
    expect(describeSendError(error, timedOut.signal, false)).toBe('timeout');
  });
});
