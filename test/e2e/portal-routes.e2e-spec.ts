import { AppWithReceiver, createEndpoint, getDelivery, useAppWithReceiver } from '../support/app';
import { waitForStatus } from '../support/deliveries';
import { waitFor } from '../support/wait';
import { STATS_SQL, statsParams } from '../../src/endpoints/endpoint-stats.repository';
import { newId } from '../../src/common/ids';

describe('routes the portal needs: test events, stats, the request as sent (SPEC §3)', () => {
  let ctx: AppWithReceiver;
  useAppWithReceiver({}, (c) => (ctx = c));
  const path = (rest: string) => `/v1/tenants/${ctx.tenantId}${rest}`;

  it('a test event goes to that endpoint only, whatever its filter, and its delivery id comes back', async () => {
    const target = await createEndpoint(ctx.app, ctx.tenantId, { url: `${ctx.receiver.url}/target`, eventTypes: ['invoice.*'] });
    await createEndpoint(ctx.app, ctx.tenantId, { url: `${ctx.receiver.url}/other` });
    const res = await ctx.app.request('POST', path(`/endpoints/${target.id}/test`), { body: {} });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ type: 'webhook.test', deliveries: 1 });
    expect(res.body.deliveryId).toMatch(/^dlv_/);
    await waitForStatus(ctx.app, ctx.tenantId, res.body.deliveryId, 'succeeded');
    const received = ctx.receiver.forPath('/target');
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0].body)).toMatchObject({ id: res.body.id, type: 'webhook.test' });
    expect(ctx.receiver.forPath('/other')).toHaveLength(0);

    const custom = await ctx.app.request('POST', path(`/endpoints/${target.id}/test`), { body: { type: 'invoice.test', data: { n: 1.50 } }, rawBody: undefined });
    expect(custom.status).toBe(202);
    expect(custom.body.type).toBe('invoice.test');
  });

  it('refuses a bad test body with a 400 naming the field, an unknown endpoint with 404, a disabled one with 409', async () => {
    const ep = await createEndpoint(ctx.app, ctx.tenantId, { url: `${ctx.receiver.url}/t2` });
    for (const [body, field] of [[{ type: 'not valid!' }, 'type'], [{ data: [1] }, 'data'], [{ extra: 1 }, 'extra']] as const) {
      const res = await ctx.app.request('POST', path(`/endpoints/${ep.id}/test`), { body });
      expect(res.status).toBe(400);
      expect(res.body.message).toContain(field);
    }
    expect((await ctx.app.request('POST', path(`/endpoints/ep_00000000000000000000000000/test`), { body: {} })).status).toBe(404);
    await ctx.app.request('PATCH', path(`/endpoints/${ep.id}`), { body: { enabled: false } });
    expect((await ctx.app.request('POST', path(`/endpoints/${ep.id}/test`), { body: {} })).status).toBe(409);
  });

  it('the delivery detail shows the request as sent: headers with the signature, the body byte for byte, checked', async () => {
    const ep = await createEndpoint(ctx.app, ctx.tenantId, { url: `${ctx.receiver.url}/asSent`, headers: { 'X-Team': 'billing' } });
    const sent = await ctx.app.request('POST', path(`/endpoints/${ep.id}/test`), { rawBody: '{"data":{"big":12345678901234567890,"x":1.50}}', headers: { 'content-type': 'application/json' } });
    expect(sent.status).toBe(202);
    await waitForStatus(ctx.app, ctx.tenantId, sent.body.deliveryId, 'succeeded');
    const delivery = await getDelivery(ctx.app, ctx.tenantId, sent.body.deliveryId);
    const [attempt] = delivery.attempts;
    const [received] = ctx.receiver.forPath('/asSent');
    expect(attempt.requestBody).toBe(received.body);
    expect(attempt.requestBody).toContain('"big":12345678901234567890,"x":1.50');
    expect(attempt.requestVerified).toBe(true);
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-team', 'content-type', 'user-agent']) {
      expect([name, attempt.requestHeaders[name]]).toEqual([name, received.headers[name]]);
    }
    // Stored per attempt: only the varying headers, never the body.
    const { rows } = await ctx.app.db.pool.query(`select request_headers from attempts where id = $1`, [attempt.id]);
    expect(Object.keys(rows[0].request_headers).sort()).toEqual(['webhook-signature', 'webhook-timestamp']);
  });

  it('stats: every bucket zero-filled, successes, failures and latency percentiles from the attempts', async () => {
    ctx.receiver.respondWith((req, res) => {
      res.writeHead(req.path === '/flaky' && JSON.parse(req.body).data.fail ? 500 : 200).end('x');
    });
    const ep = await createEndpoint(ctx.app, ctx.tenantId, { url: `${ctx.receiver.url}/flaky` });
    const ok = await ctx.app.request('POST', path(`/endpoints/${ep.id}/test`), { body: { data: { fail: false } } });
    const bad = await ctx.app.request('POST', path(`/endpoints/${ep.id}/test`), { body: { data: { fail: true } } });
    await waitForStatus(ctx.app, ctx.tenantId, ok.body.deliveryId, 'succeeded');
    await waitFor(async () => (await getDelivery(ctx.app, ctx.tenantId, bad.body.deliveryId)).attemptCount >= 1, 10_000, 'a failed attempt');

    const since = new Date(Date.now() - 3600e3).toISOString();
    const until = new Date(Date.now() + 60e3).toISOString();
    const res = await ctx.app.request('GET', path(`/endpoints/${ep.id}/stats?since=${since}&until=${until}&bucket=1m`));
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeGreaterThanOrEqual(61);
    expect(res.body.data.length).toBeLessThanOrEqual(62);
    const total = res.body.data.reduce((n: { s: number; f: number }, b: any) => ({ s: n.s + b.succeeded, f: n.f + b.failed }), { s: 0, f: 0 });
    expect(total.s).toBe(1);
    expect(total.f).toBeGreaterThanOrEqual(1);
    const busy = res.body.data.filter((b: any) => b.succeeded + b.failed > 0);
    for (const b of busy) expect(b.p95Ms).toBeGreaterThanOrEqual(b.p50Ms);
    const empty = res.body.data.find((b: any) => b.succeeded + b.failed === 0);
    expect(empty).toMatchObject({ succeeded: 0, failed: 0, p50Ms: null, p95Ms: null });
    const starts = res.body.data.map((b: any) => Date.parse(b.start));
    expect(starts[1] - starts[0]).toBe(60e3);

    const day = await ctx.app.request('GET', path(`/endpoints/${ep.id}/stats`));
    expect(day.status).toBe(200);
    expect(day.body.data.length).toBeGreaterThanOrEqual(24);
  });

  it('stats refuses bad parameters with a 400 naming them; the range scan uses the endpoint/time index', async () => {
    const ep = await createEndpoint(ctx.app, ctx.tenantId, { url: `${ctx.receiver.url}/s` });
    const stats = (q: string) => ctx.app.request('GET', path(`/endpoints/${ep.id}/stats?${q}`));
    for (const [q, field] of [
      ['bucket=5m', 'bucket'], ['since=yesterday', 'since'], ['until=2026-13-01', 'until'],
      ['since=2026-01-01T00:00:00Z&bucket=1m', 'since'], ['since=2030-01-01T00:00:00Z&until=2029-01-01T00:00:00Z', 'since'], ['extra=1', 'extra'],
    ] as const) {
      const res = await stats(q);
      expect([q, res.status]).toEqual([q, 400]);
      expect(res.body.message).toContain(field);
    }
    expect((await ctx.app.request('GET', path(`/endpoints/ep_00000000000000000000000000/stats`))).status).toBe(404);

    const sent = await ctx.app.request('POST', path(`/endpoints/${ep.id}/test`), { body: {} });
    await waitForStatus(ctx.app, ctx.tenantId, sent.body.deliveryId, 'succeeded');
    const client = await ctx.app.db.pool.connect();
    try {
      // Many attempts of other endpoints, analysed: the plan must still be a range scan of this endpoint's window.
      await client.query(`insert into attempts (id, delivery_id, number, trigger, started_at, duration_ms, request_url, endpoint_id)
        select a, d.id, 100 + g, 'scheduled', now() - g * interval '1 second', 5, 'http://x', 'ep_other'
          from unnest($1::text[]) with ordinality t(a, g), (select id from deliveries limit 1) d`, [Array.from({ length: 20_000 }, () => newId('att'))]);
      await client.query('analyze attempts');
      const now = Date.now();
      const { rows } = await client.query(`explain ${STATS_SQL}`, statsParams(ep.id, now - 3600e3, now, 60e3, 60));
      const plan = rows.map((r: any) => r['QUERY PLAN']).join('\n');
      expect(plan).toContain('attempts_endpoint_started_idx');
      expect(plan).not.toMatch(/Seq Scan on attempts/);
    } finally {
      client.release();
    }
  });
});
