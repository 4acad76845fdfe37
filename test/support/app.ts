import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AddressInfo } from 'node:net';
import { createHttpApp } from '../../src/bootstrap';
import { type FakeLlmServer, startFakeLlmServer } from '../fakes/fake-llm-server';
import { TestReceiver } from './receiver';
import { loadConfig } from '../../src/config/config';
import { createTestDatabase, TestDatabase } from './database';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestApp {
  baseUrl: string;
  db: TestDatabase;
  app: NestFastifyApplication;
  /** JSON request with the admin token unless `token` is given (null = no Authorization header). */
  request<T = any>(method: string, path: string, options?: { body?: unknown; token?: string | null; headers?: Record<string, string>; rawBody?: string }): Promise<{ status: number; body: T; headers: Headers }>;
  close(): Promise<void>;
}

/** Boots the real application (API and worker) on a random port against a fresh database. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  return startTestAppOn(await createTestDatabase(), env);
}

/** Boots the app on an existing test database (a second process of a crash test); close() drops it. */
export async function startTestAppOn(db: TestDatabase, env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({
    ADMIN_TOKEN,
    ALLOW_PRIVATE_TARGETS: 'true',
    RETRY_SCHEDULE: '200ms,400ms',
    RETRY_JITTER: '0',
    DELIVERY_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'silent',
    WORKER_CONCURRENCY: '8',
    ...env,
  });
  const app = await createHttpApp(config, 'all', db.url);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    db,
    app,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      const token = options.token === undefined ? ADMIN_TOKEN : options.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(baseUrl + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed as any, headers: res.headers };
    },
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

/** Factories that keep tests short. */
export async function createTenant(app: TestApp, name = 'acme'): Promise<string> {
  const res = await app.request('POST', '/v1/tenants', { body: { name } });
  if (res.status !== 201) throw new Error(`tenant: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

export async function createApiKey(app: TestApp, tenantId: string): Promise<{ id: string; key: string }> {
  const res = await app.request('POST', `/v1/tenants/${tenantId}/api-keys`, { body: { name: 'ci' } });
  if (res.status !== 201) throw new Error(`api key: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function createEndpoint(app: TestApp, tenantId: string, body: Record<string, unknown>): Promise<any> {
  const res = await app.request('POST', `/v1/tenants/${tenantId}/endpoints`, { body });
  if (res.status !== 201) throw new Error(`endpoint: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function publish(app: TestApp, tenantId: string, type: string, data: Record<string, unknown>, headers?: Record<string, string>): Promise<any> {
  const res = await app.request('POST', `/v1/tenants/${tenantId}/events`, { body: { type, data }, headers });
  if (res.status !== 202) throw new Error(`publish: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function getDelivery(app: TestApp, tenantId: string, deliveryId: string): Promise<any> {
  const res = await app.request('GET', `/v1/tenants/${tenantId}/deliveries/${deliveryId}`);
  if (res.status !== 200) throw new Error(`delivery: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export interface AppWithReceiver {
  app: TestApp;
  receiver: TestReceiver;
  tenantId: string;
}

/**
 * The usual setup of a delivery test: a real app (with `env`), a receiver and a tenant, made
 * before the block's tests and stopped after them. `assign` hands them to the block's variables.
 */
export function useAppWithReceiver(env: Record<string, string>, assign: (ctx: AppWithReceiver) => void): void {
  let ctx: Partial<AppWithReceiver> = {};
  beforeAll(async () => {
    const app = await startTestApp(env);
    ctx = { app };
    const receiver = await new TestReceiver().start();
    ctx = { app, receiver, tenantId: await createTenant(app) };
    assign(ctx as AppWithReceiver);
  });
  afterAll(async () => {
    await ctx.app?.close();
    await ctx.receiver?.stop();
  });
}

export interface AppWithModel extends AppWithReceiver {
  llm: FakeLlmServer;
}

/**
 * useAppWithReceiver with a fake model server (test/fakes/fake-llm-server.ts) started first:
 * `env` gets it, to point the app's providers at it. Its recorded requests and scripted
 * answers are reset before each test.
 */
export function useAppWithFakeLlm(env: (llm: FakeLlmServer) => Record<string, string>, assign: (ctx: AppWithModel) => void): void {
  let ctx: Partial<AppWithModel> = {};
  beforeAll(async () => {
    const llm = await startFakeLlmServer();
    ctx = { llm };
    const receiver = await new TestReceiver().start();
    ctx = { llm, receiver };
    const app = await startTestApp(env(llm));
    ctx = { llm, receiver, app, tenantId: await createTenant(app) };
    assign(ctx as AppWithModel);
  });
  afterAll(async () => {
    await ctx.app?.close();
    await ctx.receiver?.stop();
    await ctx.llm?.close();
  });
  beforeEach(() => ctx.llm?.reset());
}
