import { newId } from '../../src/common/ids';
import { Db } from '../../src/database/db';
import { EventsRepository } from '../../src/events/events.repository';
import { createTestDatabase, type TestDatabase } from '../support/database';

// The rules PostgreSQL really enforces, run through the repository statements that use them.
let db: TestDatabase;
let events: EventsRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  events = new EventsRepository(new Db(db.pool));
});
afterAll(async () => {
  await db.drop();
});

async function tenantWithEndpoint(eventTypes: string[]): Promise<{ tenantId: string; endpointId: string }> {
  const tenantId = newId('ten');
  const endpointId = newId('ep');
  await db.pool.query(`insert into tenants (id, name) values ($1, 't')`, [tenantId]);
  await db.pool.query(`insert into endpoints (id, tenant_id, url, event_types, secret) values ($1, $2, 'http://127.0.0.1:9/', $3, 'whsec_x')`, [
    endpointId, tenantId, eventTypes,
  ]);
  return { tenantId, endpointId };
}

async function deliveriesFor(tenantId: string, type: string): Promise<number> {
  const id = newId('evt');
  const outcomes = await events.publishBatch([{ id, tenantId, type, dataJson: '{}', idempotencyKey: null, summary: null }]);
  return outcomes.get(id)?.deliveries ?? -1;
}

describe('event-type match in the publish statement', () => {
  it.each([
    [[], 'invoice.paid', true],
    [['invoice.paid'], 'invoice.paid', true],
    [['invoice.paid'], 'invoice.paid.late', false],
    [['invoice.paid'], 'Invoice.paid', false],
    [['invoice.*'], 'invoice.paid', true],
    [['invoice.*'], 'invoice.line.added', true],
    [['invoice.*'], 'invoices.paid', false],
    [['invoice.*'], 'invoice', false],
    [['*'], 'anything', true],
    [['user.created', 'invoice.*'], 'user.created', true],
    [['user.created', 'invoice.*'], 'user.deleted', false],
    [['in_voice.*'], 'in_voice.x', true],
    [['in%.*'], 'invoice.x', false],
  ])('%j vs %s -> %s', async (filters, type, expected) => {
    const { tenantId } = await tenantWithEndpoint(filters);
    expect(await deliveriesFor(tenantId, type)).toBe(expected ? 1 : 0);
  });

  it('skips disabled and deleted endpoints', async () => {
    const { tenantId, endpointId } = await tenantWithEndpoint([]);
    await db.pool.query(`update endpoints set enabled = false where id = $1`, [endpointId]);
    expect(await deliveriesFor(tenantId, 'a.b')).toBe(0);
    await db.pool.query(`update endpoints set enabled = true, deleted_at = now() where id = $1`, [endpointId]);
    expect(await deliveriesFor(tenantId, 'a.b')).toBe(0);
  });
});
