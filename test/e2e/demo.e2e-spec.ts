import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { resolve } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { verifyStandardWebhooks } from '../../examples/demo';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/app';

const DEMO = resolve(__dirname, '../../examples/demo.ts');
const REGISTER = resolve(__dirname, '../support/swc-register.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run demo` (examples/demo.ts, run the way `node dist/examples/demo.js` runs it) against a real service. */
function runDemo(env: Record<string, string>): Promise<Run> {
  return new Promise((done) => {
    const clean = { ...process.env };
    for (const name of ['BASE_URL', 'ADMIN_TOKEN', 'HOST', 'PORT', 'DATA_DIR']) delete clean[name];
    execFile(process.execPath, ['-r', REGISTER, DEMO], { env: { ...clean, DEMO_TIMEOUT_MS: '15000', ...env }, timeout: 40_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe('npm run demo', () => {
  describe('against a service that allows private targets', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp();
    });
    afterAll(async () => {
      await app?.close();
    });

    it('creates a tenant, key and endpoint, sees the delivery arrive signed, prints its log and exits 0', async () => {
      const run = await runDemo({ BASE_URL: app.baseUrl, ADMIN_TOKEN });
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const eventId = /4\. published {2}(evt_\w+) \(invoice\.paid\), 1 delivery/.exec(run.stdout)?.[1];
      expect(eventId).toBeDefined();
      expect(run.stdout).toContain(`5. received   POST /webhooks, webhook-id ${eventId}, Standard Webhooks signature verified`);
      const deliveryId = /6\. delivery {3}(dlv_\w+) succeeded/.exec(run.stdout)?.[1];
      expect(deliveryId).toBeDefined();
      // the printed log is the service's: the delivery, succeeded, with the attempt the receiver answered
      const tenantId = /1\. tenant {5}(ten_\w+)/.exec(run.stdout)![1];
      const delivery = (await app.request('GET', `/v1/tenants/${tenantId}/deliveries/${deliveryId}`)).body;
      expect(delivery).toMatchObject({ eventId, status: 'succeeded', attempts: [{ responseStatus: 200, responseBody: 'thanks, signature verified' }] });
      expect(run.stdout).toContain(`"id": "${deliveryId}"`);
      expect(run.stdout).toContain('"responseBody": "thanks, signature verified"');
      // it cleans up after itself: the endpoint (whose receiver is gone) is deleted
      expect((await app.request('GET', `/v1/tenants/${tenantId}/endpoints`)).body.data).toEqual([]);
    }, 60_000);

    it('exits 1 with the answer when the admin token is wrong', async () => {
      const run = await runDemo({ BASE_URL: app.baseUrl, ADMIN_TOKEN: 'not-the-admin-token-at-all' });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^demo failed: POST \/v1\/tenants answered 401/);
    }, 60_000);
  });

  it('tells the reader to set ALLOW_PRIVATE_TARGETS when the service refuses a receiver on 127.0.0.1', async () => {
    const app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'false' });
    try {
      const run = await runDemo({ BASE_URL: app.baseUrl, ADMIN_TOKEN });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('Restart it with ALLOW_PRIVATE_TARGETS=true');
    } finally {
      await app.close();
    }
  }, 60_000);

  it('exits 1 naming the address when no service answers', async () => {
    const run = await runDemo({ BASE_URL: 'http://127.0.0.1:9', ADMIN_TOKEN });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Cannot reach the service at http://127.0.0.1:9');
  }, 60_000);

  it('verifies Standard Webhooks signatures as the standardwebhooks library makes them', () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const body = '{"id":"evt_1","type":"a.b","data":{"x":1}}';
    const now = new Date();
    const signature = new Webhook(secret).sign('evt_1', now, body);
    const timestamp = String(Math.floor(now.getTime() / 1000));
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': timestamp, 'webhook-signature': signature };
    expect(verifyStandardWebhooks(secret, headers, body, now.getTime())).toBe('ok');
    // during a rotation: any one of several entries may match
    const other = createHmac('sha256', Buffer.alloc(32, 9)).update(`evt_1.${timestamp}.${body}`).digest('base64');
    expect(verifyStandardWebhooks(secret, { ...headers, 'webhook-signature': `v1,${other} ${signature}` }, body, now.getTime())).toBe('ok');
    expect(verifyStandardWebhooks(secret, headers, `${body} `, now.getTime())).toMatch(/^no v1 signature/);
    expect(verifyStandardWebhooks(secret, { ...headers, 'webhook-id': 'evt_2' }, body, now.getTime())).toMatch(/^no v1 signature/);
    expect(verifyStandardWebhooks(secret, { ...headers, 'webhook-signature': `v1,${other}` }, body, now.getTime())).toMatch(/^no v1 signature/);
    expect(verifyStandardWebhooks(secret, headers, body, now.getTime() + 301_000)).toMatch(/^timestamp .* not within 300 s/);
    expect(verifyStandardWebhooks(secret, { 'webhook-id': 'evt_1' }, body, now.getTime())).toMatch(/^missing/);
  });
});
