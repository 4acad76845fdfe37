import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createHttpApp } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/config';
import { ADMIN_TOKEN } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/** Logs carry ids, never keys, secrets or payloads: even at debug level and on failures. */
describe('logs', () => {
  let db: TestDatabase;
  let app: NestFastifyApplication;
  let base: string;
  let receiver: TestReceiver;
  const lines: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await new TestReceiver().start();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const config = loadConfig({ ADMIN_TOKEN, ALLOW_PRIVATE_TARGETS: 'true', LOG_LEVEL: 'debug', RETRY_SCHEDULE: '100ms', RETRY_JITTER: '0' });
    app = await createHttpApp(config, 'all', db.url, sink);
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await receiver?.stop();
  });

  async function call(method: string, path: string, body?: unknown, token = ADMIN_TOKEN, extra: Record<string, string> = {}) {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...extra },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  }

  it('never writes the admin token, API keys, endpoint secrets or event data', async () => {
    const tenant = (await call('POST', '/v1/tenants', { name: 'logs' })).body;
    const key = (await call('POST', `/v1/tenants/${tenant.id}/api-keys`, { name: 'k' })).body.key as string;
    receiver.respondWithStatuses([500]);
    const endpoint = (await call('POST', `/v1/tenants/${tenant.id}/endpoints`, { url: `${receiver.url}/logs`, headers: { 'X-Api-Token': 'custom-header-secret-value' } }, key)).body;
    const secret = (await call('GET', `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}/secret`)).body.secret as string;
    const published = await call('POST', `/v1/tenants/${tenant.id}/events`, { type: 'user.created', data: { email: 'jane.doe@example.com', note: 'PAYLOAD-MARKER-42' } }, key, { 'idempotency-key': 'secret-idempotency-key-value' });
    expect(published.status).toBe(202);
    await waitFor(() => receiver.forPath('/logs').length >= 2, 10_000, 'a failed attempt and its retry');
    await call('GET', '/v1/tenants', undefined, 'whk_wrong_key_wrong_key_wrong_key');
    await call('POST', `/v1/tenants/${tenant.id}/events`, { type: 'bad type', data: { note: 'PAYLOAD-MARKER-43' } }, key);
    // a database error that quotes the failing row (which holds the secret) must not reach the log
    await db.pool.query(`alter table attempts add constraint no_attempts check (number < 0) not valid`);
    await call('POST', `/v1/tenants/${tenant.id}/events`, { type: 'user.created', data: { note: 'PAYLOAD-MARKER-44' } }, key);
    await waitFor(() => receiver.forPath('/logs').length >= 3, 10_000, 'an attempt whose recording fails');
    await waitFor(() => lines.some((l) => l.includes('recording attempts failed')), 10_000, 'the recording error to be logged');
    await db.pool.query(`alter table attempts drop constraint no_attempts`);

    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(5);
    for (const forbidden of [ADMIN_TOKEN, key, secret, secret.slice(6), 'jane.doe@example.com', 'PAYLOAD-MARKER', 'custom-header-secret-value', 'secret-idempotency-key-value', 'whk_wrong_key']) {
      expect({ forbidden, found: log.includes(forbidden) }).toEqual({ forbidden, found: false });
    }
    expect(log).toContain(published.body.id);
  });
});
