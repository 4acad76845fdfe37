/**
 * `npm run demo`: the whole loop against a running service, with nothing but Node.
 *
 * It starts a receiver on 127.0.0.1, creates a tenant, an API key and an endpoint pointing at
 * the receiver, publishes an event, waits for the delivery, verifies its Standard Webhooks
 * signature itself (node:crypto, no library), and prints the delivery log. Exit code 0 when all
 * of that worked, 1 otherwise (and after DEMO_TIMEOUT_MS, 30 s by default, at the latest).
 *
 * The service: BASE_URL (default http://$HOST:$PORT, that is http://127.0.0.1:3000), admin token
 * from ADMIN_TOKEN or else DATA_DIR/admin-token (default ./.data), the same defaults as
 * `npm start`. The service must allow a receiver on localhost: start it with
 * ALLOW_PRIVATE_TARGETS=true.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  verdict: string;
}

class DemoError extends Error {}

const env = process.env;
const BASE = (env.BASE_URL ?? `http://${env.HOST && env.HOST !== '0.0.0.0' ? env.HOST : '127.0.0.1'}:${env.PORT ?? '3000'}`).replace(/\/$/, '');
const TIMEOUT_MS = Number(env.DEMO_TIMEOUT_MS ?? 30_000);
/** Timestamps further than this from our clock are refused, as the Standard Webhooks libraries do. */
const TOLERANCE_S = 300;

async function main(): Promise<void> {
  const adminToken = readAdminToken();
  const received: Received[] = [];
  let secret = '';
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verdict = verifyStandardWebhooks(secret, req.headers, body);
      received.push({ headers: req.headers, body, verdict });
      if (verdict === 'ok') res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks, signature verified');
      else res.writeHead(400, { 'content-type': 'text/plain' }).end(`bad signature: ${verdict}`);
    });
  });
  const receiverUrl = `http://127.0.0.1:${await listen(receiver)}/webhooks`;
  try {
    say(`Service       ${BASE}`);
    say(`Receiver      ${receiverUrl} (in this process)`);
    const admin = client(adminToken);
    const health = await fetch(`${BASE}/health/ready`).catch((error: unknown) => {
      throw new DemoError(`Cannot reach the service at ${BASE} (${causeOf(error)}). Start it first (ALLOW_PRIVATE_TARGETS=true npm start), or set BASE_URL.`);
    });
    if (health.status !== 200) throw new DemoError(`The service at ${BASE} is not ready: ${health.status} ${await health.text()}`);

    const tenant = await admin<{ id: string }>('POST', '/v1/tenants', { name: 'demo' }, 201);
    say(`1. tenant     ${tenant.id}`);
    const key = await admin<{ id: string; key: string }>('POST', `/v1/tenants/${tenant.id}/api-keys`, { name: 'demo' }, 201);
    say(`2. API key    ${key.id} (${key.key})`);
    const asTenant = client(key.key);
    const endpoint = await asTenant<{ id: string }>('POST', `/v1/tenants/${tenant.id}/endpoints`, { url: receiverUrl, eventTypes: ['invoice.*'], description: 'npm run demo' }, 201, (status, body) =>
      status === 400 && /address|private|loopback/i.test(body)
        ? `The service refuses a receiver on 127.0.0.1 (its SSRF protection). Restart it with ALLOW_PRIVATE_TARGETS=true (the worker too, when it runs apart), then run the demo again.\n  (${body})`
        : null);
    secret = (await asTenant<{ secret: string }>('GET', `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}/secret`, undefined, 200)).secret;
    say(`3. endpoint   ${endpoint.id} -> ${receiverUrl}, signing secret ${secret}`);
    const event = await asTenant<{ id: string; deliveries: number }>('POST', `/v1/tenants/${tenant.id}/events`, { type: 'invoice.paid', data: { invoiceId: 'in_demo', amount: 4200, currency: 'EUR' } }, 202);
    say(`4. published  ${event.id} (invoice.paid), ${event.deliveries} delivery`);
    if (event.deliveries !== 1) throw new DemoError(`expected 1 delivery, the service made ${event.deliveries}`);

    const first = await until(() => received[0], 'the receiver to get the delivery');
    if (first.verdict !== 'ok') throw new DemoError(`the delivery's signature did not verify: ${first.verdict}`);
    if (first.headers['webhook-id'] !== event.id) throw new DemoError(`webhook-id is ${String(first.headers['webhook-id'])}, expected the event id ${event.id}`);
    say(`5. received   POST /webhooks, webhook-id ${event.id}, Standard Webhooks signature verified`);
    say(`               body: ${first.body}`);

    const delivery = await until(async () => {
      const list = await asTenant<{ data: Array<{ id: string; status: string }> }>('GET', `/v1/tenants/${tenant.id}/deliveries?eventId=${event.id}`, undefined, 200);
      const found = list.data[0];
      if (found?.status === 'failed') throw new DemoError(`the delivery failed: ${JSON.stringify(found)}`);
      return found?.status === 'succeeded' ? found : undefined;
    }, 'the delivery to be recorded as succeeded');
    const log = await asTenant<object>('GET', `/v1/tenants/${tenant.id}/deliveries/${delivery.id}`, undefined, 200);
    say(`6. delivery   ${delivery.id} succeeded; its log (GET /v1/tenants/${tenant.id}/deliveries/${delivery.id}):`);
    say(JSON.stringify(log, null, 2).replace(/^/gm, '   '));

    // The receiver goes away with this process: delete the endpoint so later events of the
    // tenant do not retry against nothing. The tenant, the event and its log stay.
    await asTenant('DELETE', `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}`, undefined, 204);
    say(`Done. The endpoint is deleted (the receiver stops with the demo); tenant ${tenant.id}, the event and its delivery log stay.`);
    say(`To look around: TENANT=${tenant.id} KEY=${key.key}`);
  } finally {
    await new Promise((resolve) => receiver.close(resolve));
  }
}

/**
 * Standard Webhooks: HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}", keyed with the
 * base64-decoded part of the secret after "whsec_"; webhook-signature holds one or more
 * "v1,<base64>" entries separated by spaces (several during a secret rotation). 'ok', or why not.
 */
export function verifyStandardWebhooks(secret: string, headers: IncomingHttpHeaders, body: string, now = Date.now()): string {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return 'missing webhook-id, webhook-timestamp or webhook-signature';
  if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > TOLERANCE_S) return `timestamp ${timestamp} is not within ${TOLERANCE_S} s of now`;
  if (!secret.startsWith('whsec_')) return 'no whsec_ secret known yet';
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  for (const entry of signatures.split(' ')) {
    const [version, signature] = entry.split(',', 2);
    if (version !== 'v1' || !signature) continue;
    const given = Buffer.from(signature, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return 'ok';
  }
  return `no v1 signature in "${signatures}" matches`;
}

function readAdminToken(): string {
  if (env.ADMIN_TOKEN) return env.ADMIN_TOKEN;
  const file = join(env.DATA_DIR ?? '.data', 'admin-token');
  if (!existsSync(file)) throw new DemoError(`No ADMIN_TOKEN set and no ${file}: set ADMIN_TOKEN to the service's admin token (or run the demo from the directory where you ran npm start).`);
  return readFileSync(file, 'utf8').trim();
}

type Call = <T>(method: string, path: string, body: unknown, expected: number, explain?: (status: number, body: string) => string | null) => Promise<T>;

/** JSON calls with one bearer token; anything but the expected status stops the demo with the answer. */
function client(token: string): Call {
  return async <T>(method: string, path: string, body: unknown, expected: number, explain?: (status: number, body: string) => string | null): Promise<T> => {
    const res = await fetch(BASE + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== expected) {
      throw new DemoError(explain?.(res.status, text) ?? `${method} ${path} answered ${res.status}, expected ${expected}: ${text}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

async function until<T>(check: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new DemoError(`timed out after ${TIMEOUT_MS} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

if (require.main === module) {
  // Bounded: a service that never delivers must not leave the demo hanging.
  const timer = setTimeout(() => {
    process.stderr.write(`demo: gave up after ${TIMEOUT_MS} ms\n`);
    process.exit(1);
  }, TIMEOUT_MS + 5_000);
  main().then(
    () => {
      clearTimeout(timer);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`demo failed: ${error instanceof DemoError ? error.message : error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
