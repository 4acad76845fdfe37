/**
 * The README's tour (create a tenant, an API key and an endpoint, publish, read the delivery
 * log, retry), written against the client types openapi-typescript generates from /docs-json
 * (portal/src/generated/openapi.d.ts) with openapi-fetch: if the API and its document drift
 * apart, this stops compiling. test/e2e/openapi.e2e-spec.ts type-checks it and runs it.
 *
 *   node -r ./test/support/swc-register.js examples/tour.ts
 *
 * BASE_URL (default http://127.0.0.1:3000), ADMIN_TOKEN (default: the one in .data/admin-token),
 * RECEIVER_URL (default http://127.0.0.1:8080/webhooks, the README's receiver). The service must
 * allow a receiver on localhost (ALLOW_PRIVATE_TARGETS=true).
 */
import createClient from 'openapi-fetch';
import { readFileSync } from 'node:fs';
import type { components, paths } from '../portal/src/generated/openapi';

type Schemas = components['schemas'];

export interface TourOptions {
  baseUrl: string;
  adminToken: string;
  receiverUrl: string;
  log?: (line: string) => void;
}

export interface TourResult {
  tenant: Schemas['Tenant'];
  apiKey: Schemas['CreatedApiKey'];
  endpoint: Schemas['Endpoint'];
  event: Schemas['PublishedEvent'];
  deliveries: Schemas['DeliveryPage'];
  delivery: Schemas['DeliveryDetail'];
  retried: Schemas['Delivery'];
}

/** The data of a call, or its error (the one ErrorResponse shape) as an exception. */
function must<T>(result: { data?: T; error?: Schemas['ErrorResponse']; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    throw new Error(`${result.response.url}: ${result.response.status} ${result.error?.message ?? 'no body'}`);
  }
  return result.data;
}

export async function runTour({ baseUrl, adminToken, receiverUrl, log = console.log }: TourOptions): Promise<TourResult> {
  const admin = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${adminToken}` } });

  // 1. A tenant (admin only).
  const tenant = must(await admin.POST('/v1/tenants', { body: { name: 'Acme' } }));
  log(`tenant   ${tenant.id}`);
  const tenantPath = { path: { tenantId: tenant.id } };

  // 2. An API key for it (admin only); `key` is shown only in this response.
  const apiKey = must(await admin.POST('/v1/tenants/{tenantId}/api-keys', { params: tenantPath, body: { name: 'backend' } }));
  log(`api key  ${apiKey.id}`);

  // From here on, as the tenant.
  const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${apiKey.key}` } });

  // 3. An endpoint.
  const endpoint = must(await api.POST('/v1/tenants/{tenantId}/endpoints', {
    params: tenantPath,
    body: { url: receiverUrl, eventTypes: ['invoice.*', 'customer.created'], description: 'billing system' },
  }));
  log(`endpoint ${endpoint.id} -> ${endpoint.url}`);

  // 4. Publish an event, with an idempotency key.
  const event = must(await api.POST('/v1/tenants/{tenantId}/events', {
    params: { ...tenantPath, header: { 'Idempotency-Key': `invoice-in_123-paid-${tenant.id}` } },
    body: { type: 'invoice.paid', data: { invoiceId: 'in_123', amount: 4200, currency: 'EUR' } },
  }));
  log(`event    ${event.id} (${event.deliveries} deliveries)`);

  // 5. The delivery log of that event.
  const deliveries = must(await api.GET('/v1/tenants/{tenantId}/deliveries', { params: { ...tenantPath, query: { eventId: event.id, limit: 10 } } }));
  const first = deliveries.data[0];
  if (!first) throw new Error(`no delivery for ${event.id}`);
  log(`delivery ${first.id} ${first.status}`);

  // 6. One delivery with its attempts, once the first attempt is recorded (a few seconds at most).
  const deliveryParams = { params: { path: { tenantId: tenant.id, id: first.id } } };
  let delivery = must(await api.GET('/v1/tenants/{tenantId}/deliveries/{id}', deliveryParams));
  for (let i = 0; i < 100 && delivery.attempts.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    delivery = must(await api.GET('/v1/tenants/{tenantId}/deliveries/{id}', deliveryParams));
  }
  for (const attempt of delivery.attempts) {
    log(`  attempt ${attempt.number} (${attempt.trigger}): ${attempt.responseStatus ?? attempt.error} in ${attempt.durationMs} ms`);
  }

  // 7. Retry it: one extra attempt now, trigger "manual".
  const retried = must(await api.POST('/v1/tenants/{tenantId}/deliveries/{id}/retry', deliveryParams));
  log(`retried  ${retried.id} ${retried.status}`);

  return { tenant, apiKey, endpoint, event, deliveries, delivery, retried };
}

if (require.main === module) {
  const env = process.env;
  runTour({
    baseUrl: env.BASE_URL ?? 'http://127.0.0.1:3000',
    adminToken: env.ADMIN_TOKEN ?? readFileSync('.data/admin-token', 'utf8').trim(),
    receiverUrl: env.RECEIVER_URL ?? 'http://127.0.0.1:8080/webhooks',
  }).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
