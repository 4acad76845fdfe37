/**
 * The tenant portal in a real browser (issue 11 point 4): Debian's Chromium driven through
 * playwright-core against the real service, database and a local receiver. Every page is scanned
 * with axe-core (no serious or critical violation) and photographed into test/artifacts/, and
 * walked with Tab: every control reachable by keyboard, with a visible focus ring (point 3).
 *
 * Needs `apt-get install -y chromium` (or CHROMIUM_PATH pointing at a Chromium binary); without
 * it every test here fails with a message saying so.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createTenant, getDelivery, startTestApp, type TestApp } from '../support/app';
import { waitForDelivery } from '../support/deliveries';
import { ensurePortalBuilt } from '../support/portal-build';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

// The callbacks given to page.evaluate run in the browser. This Node program has no DOM types
// (adding lib "dom" would reach every file of the project), so the page globals they use are
// named here, for this file only.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any, document: any, sessionStorage: any, getComputedStyle: any, matchMedia: any, MutationObserver: any, Node: any, EventTarget: any;
type Document = unknown;
type HTMLCanvasElement = any;
/* eslint-enable @typescript-eslint/no-explicit-any */

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', 'artifacts');
const AXE = require.resolve('axe-core/axe.min.js');
const STEP_MS = 10_000;

jest.setTimeout(60_000);

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** axe-core on the page as it is now: returns the serious and critical violations, described. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: AxeViolation[]; passes: unknown[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return { violations: result.violations, passes: result.passes.length };
  });
  // The scan did run: rules passed on this page.
  expect(violations.passes).toBeGreaterThan(10);
  return violations.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.slice(0, 30).map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join(' | ')}`);
}

/**
 * Runs in the page before the portal's scripts: remembers which elements get a click listener.
 * Preact's onClick is an addEventListener, which no selector can see; an element the mouse can
 * click is a control the keyboard must reach too (itself, or through a link or button inside it).
 */
function recordClickListeners(): void {
  const listened = new WeakMap<object, Set<unknown>>();
  const proto = EventTarget.prototype;
  const add = proto.addEventListener;
  const remove = proto.removeEventListener;
  proto.addEventListener = function (this: object, type: string, listener: unknown, options?: unknown) {
    if (type === 'click' && listener) {
      if (!listened.has(this)) listened.set(this, new Set());
      listened.get(this)!.add(listener);
    }
    return add.call(this, type, listener, options);
  };
  proto.removeEventListener = function (this: object, type: string, listener: unknown, options?: unknown) {
    if (type === 'click') listened.get(this)?.delete(listener);
    return remove.call(this, type, listener, options);
  };
  (window as { hasClickListener?: (el: object) => boolean }).hasClickListener = (el) => (listened.get(el)?.size ?? 0) > 0;
}

/** What a keyboard walk of one page found; every list empty means the page passes. */
interface KeyboardWalk {
  page: string;
  controls: number;
  presses: number;
  /** Visible, enabled controls that Tab never focused. */
  unreached: string[];
  /** Presses after which focus was on <body> (or nowhere) before every control had been reached. */
  lost: string[];
  /** Focus stops on elements that cannot be seen. */
  invisible: string[];
  /** Focused controls whose outline and box-shadow look the same as unfocused. */
  noIndicator: string[];
  /** The kinds of element (tag names) whose focus indicator was compared. */
  kinds: string[];
}

/**
 * Collects every visible interactive element of the page (a[href], button, input, select,
 * textarea, summary, tabindex >= 0, onclick or a click listener, role button/link/tab), then
 * presses Tab from the top of the document, at most controls + 10 times (+ 6 for each date-time
 * input, whose parts Tab visits one by one), recording where focus is after each press, and
 * comparing each focused control's outline and box-shadow with their unfocused values.
 */
async function walkWithTab(target: Page, name: string): Promise<KeyboardWalk> {
  const setup = await target.evaluate((selector) => {
    const w = window as { kbd?: unknown; hasClickListener?: (el: unknown) => boolean };
    const describe = (el: any): string => {
      const label = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('placeholder') || el.value || '').trim().replace(/\s+/g, ' ').slice(0, 40);
      const testid = el.getAttribute('data-testid');
      return `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${testid ? ` data-testid=${testid}` : ''}${el.type && el.tagName === 'INPUT' ? ` type=${el.type}` : ''}> "${label}"`;
    };
    // checkVisibility is false inside a closed <details> too (its content is skipped, not display: none).
    const visible = (el: any) => el.checkVisibility({ visibilityProperty: true }) && el.getClientRects().length > 0 && !el.closest('[inert]');
    const ring = (el: any) => {
      const s = getComputedStyle(el);
      return `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor} | ${s.boxShadow}`;
    };
    document.activeElement?.blur?.();
    const controls: { el: any; label: string; unfocused: string; delegates: any[] }[] = [];
    for (const el of document.querySelectorAll('body *')) {
      const native = el.matches(selector.native);
      const tabbable = el.hasAttribute('tabindex') && Number(el.getAttribute('tabindex')) >= 0;
      // A click listener on something no pointer can click (pointer-events: none) is no control.
      const clickable = el.matches(selector.other) || ((typeof el.onclick === 'function' || w.hasClickListener?.(el) === true) && getComputedStyle(el).pointerEvents !== 'none');
      if (!native && !tabbable && !clickable) continue;
      if (!visible(el) || el.matches(':disabled')) continue;
      // A clickable container (a table row) is reached through the link or button inside it.
      const delegates = native || tabbable ? [] : [...el.querySelectorAll('a[href], button')];
      controls.push({ el, label: describe(el), unfocused: ring(el), delegates });
    }
    const start = document.createElement('span');
    start.tabIndex = -1;
    start.setAttribute('data-kbd-start', '');
    document.body.prepend(start);
    start.focus({ preventScroll: true });
    w.kbd = { controls, describe, visible, ring, start };
    const dateParts = controls.filter((c) => c.el.matches('input[type="datetime-local"], input[type="date"], input[type="time"]')).length;
    return { count: controls.length, dateParts };
  }, { native: 'a[href], button, input, select, textarea, summary', other: '[onclick], [role="button"], [role="link"], [role="tab"]' });

  const walk: KeyboardWalk = { page: name, controls: setup.count, presses: 0, unreached: [], lost: [], invisible: [], noIndicator: [], kinds: [] };
  const limit = setup.count + 10 + 6 * setup.dateParts;
  try {
    for (let press = 1; press <= limit; press++) {
      await target.keyboard.press('Tab');
      walk.presses = press;
      const step = await target.evaluate(() => {
        const { controls, describe, visible, ring } = (window as any).kbd;
        const el = document.activeElement;
        const reached = (c: any) => c.reached || c.delegates.some((d: any) => controls.some((o: any) => o.el === d && o.reached));
        if (!el || el === document.body || el === document.documentElement) {
          return { where: 'body', done: false, unreached: controls.filter((c: any) => !reached(c)).length };
        }
        const control = controls.find((c: any) => c.el === el);
        let indicator: string | null = null;
        if (control && !control.reached) {
          control.reached = true;
          indicator = ring(el) === control.unfocused ? 'same' : 'differs';
        }
        const left = controls.filter((c: any) => !reached(c)).length;
        return { where: describe(el), known: Boolean(control), visible: visible(el), indicator, tag: el.tagName.toLowerCase(), done: left === 0, unreached: left };
      });
      if (step.where === 'body') {
        if (step.unreached > 0) walk.lost.push(`after press ${press} (${step.unreached} controls not reached yet)`);
        continue;
      }
      if (!step.visible) walk.invisible.push(step.where);
      if (step.indicator === 'same') walk.noIndicator.push(step.where);
      if (step.indicator && !walk.kinds.includes(step.tag!)) walk.kinds.push(step.tag!);
      if (step.done) break;
    }
    walk.unreached = await target.evaluate(() => {
      const { controls } = (window as any).kbd;
      const reached = (c: any) => c.reached || c.delegates.some((d: any) => controls.some((o: any) => o.el === d && o.reached));
      return controls.filter((c: any) => !reached(c)).map((c: any) => c.label);
    });
  } finally {
    await target.evaluate(() => {
      (window as any).kbd?.start.remove();
      delete (window as any).kbd;
    });
  }
  return walk;
}

/** From the top of the document, presses Tab (at most `limit` times) until the focused element matches `selector`. */
async function tabTo(target: Page, selector: string, limit = 80): Promise<void> {
  await target.evaluate(() => {
    const start = document.createElement('span');
    start.tabIndex = -1;
    document.body.prepend(start);
    start.focus({ preventScroll: true });
    start.addEventListener('blur', () => start.remove());
  });
  for (let press = 0; press < limit; press++) {
    await target.keyboard.press('Tab');
    if (await target.evaluate((s) => Boolean(document.activeElement?.matches(s)), selector)) return;
  }
  throw new Error(`Tab never reached ${selector} in ${limit} presses`);
}

describe('the tenant portal in Chromium (SPEC §11, issue 11)', () => {
  let app: TestApp;
  let receiver: TestReceiver;
  let tenantId: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let endpointId: string;
  let deliveryId: string;
  let failingDeliveryId: string;
  let lightBackground: string;
  const checked: string[] = [];

  const path = (rest: string) => `/v1/tenants/${tenantId}${rest}`;

  async function session(body: { readOnly?: boolean } = {}): Promise<{ id: string; url: string; token: string }> {
    const res = await app.request('POST', path('/portal-sessions'), { body });
    if (res.status !== 201) throw new Error(`portal session: ${res.status} ${JSON.stringify(res.body)}`);
    return { ...res.body, url: app.baseUrl + res.body.url };
  }

  async function newContext(options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
    // bypassCSP lets the test inject axe-core; the portal's own CSP allows no inline script.
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light', bypassCSP: true, ...options });
    ctx.setDefaultTimeout(STEP_MS);
    return ctx;
  }

  /** Screenshot into test/artifacts/ and an axe scan: the page must have no serious or critical violation. */
  async function look(target: Page, name: string): Promise<void> {
    await target.screenshot({ path: join(ARTIFACTS, `portal-${name}.png`), fullPage: true });
    expect([name, await seriousViolations(target)]).toEqual([name, []]);
    checked.push(name);
  }

  function testId(target: Page, id: string) {
    return target.locator(`[data-testid="${id}"]`);
  }

  /** Navigates inside the app (the hash router), keeping the session in sessionStorage. */
  async function go(target: Page, route: string): Promise<void> {
    await target.evaluate((hash) => (window.location.hash = hash), route);
    await target.locator('main h1').first().waitFor();
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}. The portal's browser tests need it: apt-get install -y chromium (or set CHROMIUM_PATH to a Chromium binary).`);
    }
    ensurePortalBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    app = await startTestApp();
    receiver = await new TestReceiver().start();
    tenantId = await createTenant(app, 'portal-browser');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 30_000 });
    context = await newContext();
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await app?.close();
    await receiver?.stop();
  });

  it('opens a session link signed in to the tenant and takes the token out of the address bar', async () => {
    const { url, token } = await session();
    expect(url).toContain(token);
    await page.goto(url);
    await page.getByRole('heading', { level: 1, name: 'Endpoints' }).waitFor();
    expect(page.url()).not.toContain(token);
    expect(page.url()).not.toContain('token=');
    await testId(page, 'endpoint-create').waitFor();
    expect(await testId(page, 'readonly-banner').count()).toBe(0);
    lightBackground = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await look(page, 'endpoints-empty');
  });

  it('creates an endpoint through the form, showing the API\'s validation message for a bad URL', async () => {
    await testId(page, 'endpoint-create').click();
    await testId(page, 'endpoint-form').waitFor();
    await look(page, 'endpoint-form');

    const bad = 'ftp://example.com/hook';
    const api = await app.request('POST', path('/endpoints'), { body: { url: bad } });
    expect(api.status).toBe(400);
    await testId(page, 'endpoint-url-input').fill(bad);
    await testId(page, 'endpoint-save').click();
    const fieldError = page.locator('#ep-url-error');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toContain(api.body.message);
    expect(await testId(page, 'endpoint-url-input').getAttribute('aria-invalid')).toBe('true');
    await look(page, 'endpoint-form-invalid');

    await testId(page, 'endpoint-url-input').fill(`${receiver.url}/portal-hook`);
    await page.locator('#ep-description').fill('Billing receiver');
    await testId(page, 'endpoint-save').click();
    await page.waitForURL(/#\/endpoints\/ep_[^/]+$/);
    endpointId = /#\/endpoints\/(ep_[^/?]+)/.exec(page.url())![1];
    const saved = await app.request('GET', path(`/endpoints/${endpointId}`));
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ url: `${receiver.url}/portal-hook`, description: 'Billing receiver', enabled: true });
    await page.getByRole('heading', { level: 1, name: `${receiver.url}/portal-hook` }).waitFor();
  });

  it('sends a test event and watches its delivery appear in the event log', async () => {
    await testId(page, 'endpoint-send-test').click();
    const link = testId(page, 'endpoint-test-delivery');
    await link.waitFor();
    deliveryId = /#\/deliveries\/(dlv_[^/?]+)/.exec((await link.getAttribute('href'))!)![1];
    await waitFor(() => receiver.forPath('/portal-hook').length === 1, STEP_MS, 'the test event at the receiver');

    await testId(page, 'nav-events').click();
    await page.getByRole('heading', { level: 1, name: 'Event log' }).waitFor();
    const eventRow = testId(page, 'event-row').first();
    await eventRow.waitFor();
    expect(await eventRow.textContent()).toContain('webhook.test');
    await look(page, 'event-log');
    await eventRow.locator('a').first().click();
    await page.getByRole('heading', { level: 2, name: 'Deliveries' }).waitFor();
    await page.locator(`[data-testid="delivery-row"][data-id="${deliveryId}"]`).waitFor();
    await look(page, 'event');

    // The endpoint's deliveries: reloaded until the delivery shows as succeeded.
    await go(page, `#/events?endpointId=${endpointId}`);
    const row = page.locator(`[data-testid="delivery-row"][data-id="${deliveryId}"]`);
    await waitFor(async () => {
      await page.reload();
      await row.waitFor({ timeout: 2000 });
      return /succeeded/.test((await row.textContent()) ?? '');
    }, STEP_MS, 'the delivery to show as succeeded in the log');
    await look(page, 'event-log-deliveries');
  });

  it('opens the delivery: the attempt timeline, the request as sent with its signature, the response; retries it', async () => {
    await page.locator(`[data-testid="delivery-row"][data-id="${deliveryId}"] a`).first().click();
    await page.getByRole('heading', { level: 1, name: 'Delivery of webhook.test' }).waitFor();
    const attempts = testId(page, 'attempt-item');
    await attempts.first().waitFor();
    expect(await attempts.count()).toBe(1);

    const [received] = receiver.forPath('/portal-hook');
    const first = attempts.first();
    const text = (await first.textContent()) ?? '';
    expect(text).toContain('Attempt 1');
    expect(text).toContain('webhook-signature');
    expect(text).toContain(received.headers['webhook-signature']);
    expect(text).toContain(received.headers['webhook-id']);
    expect(await first.locator('pre').first().textContent()).toBe(received.body);
    expect(text).toContain('Status 200');
    expect(await first.locator('pre').nth(1).textContent()).toBe('ok');
    expect(await first.locator('[data-testid="request-verified"]').getAttribute('data-verified')).toBe('true');
    // A successful delivery offers no "why is this failing?".
    expect(await testId(page, 'explain-open').count()).toBe(0);
    await look(page, 'delivery');

    await testId(page, 'delivery-retry').click();
    await page.locator('[data-testid="retry-status"]', { hasText: 'Attempt 2 succeeded' }).waitFor({ timeout: 20_000 });
    expect(await attempts.count()).toBe(2);
    expect((await attempts.first().textContent()) ?? '').toContain('manual retry');
    expect(receiver.forPath('/portal-hook')).toHaveLength(2);
    expect((await getDelivery(app, tenantId, deliveryId)).attempts.map((a: { trigger: string }) => a.trigger).sort()).toEqual(['manual', 'scheduled']);
  });

  it('reveals and rotates the signing secret', async () => {
    await go(page, `#/endpoints/${endpointId}`);
    await testId(page, 'endpoint-secret-reveal').click();
    const value = testId(page, 'endpoint-secret-value');
    await value.waitFor();
    const before = (await value.textContent())!;
    expect(before).toMatch(/^whsec_/);
    expect((await app.request('GET', path(`/endpoints/${endpointId}/secret`))).body.secret).toBe(before);

    await page.locator('#grace-period').fill('3600');
    await testId(page, 'endpoint-secret-rotate').click();
    await page.getByText('Secret rotated.').waitFor();
    await waitFor(async () => ((await value.textContent()) !== before ? true : undefined), STEP_MS, 'the new secret on the page');
    const after = (await value.textContent())!;
    expect(after).toMatch(/^whsec_/);
    expect((await app.request('GET', path(`/endpoints/${endpointId}/secret`))).body.secret).toBe(after);
  });

  it('draws the traffic charts with the attempts\' data', async () => {
    await page.reload();
    const outcomes = testId(page, 'chart-outcomes');
    await outcomes.locator('canvas').first().waitFor();
    expect(Number(await outcomes.getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
    expect(Number(await testId(page, 'chart-latency').getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
    await testId(page, 'chart-latency').locator('canvas').first().waitFor();
    // Something is painted: the canvas has pixels that are not transparent.
    const painted = await outcomes.locator('canvas').first().evaluate((canvas: HTMLCanvasElement) => {
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) count++;
      return { width: canvas.width, height: canvas.height, count };
    });
    expect(painted.width).toBeGreaterThan(100);
    expect(painted.count).toBeGreaterThan(100);
    await page.getByRole('button', { name: 'Last hour' }).click();
    await waitFor(async () => Number(await outcomes.getAttribute('data-points')) >= 1 && (await outcomes.locator('canvas').count()) > 0, STEP_MS, 'the hour chart');
    await look(page, 'endpoint');
  });

  it('streams an explanation of a failing delivery as it is written, and closes it', async () => {
    receiver.respondWith((_req, res) => {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('bad signature');
    });
    const sent = await app.request('POST', path(`/endpoints/${endpointId}/test`), { body: {} });
    expect(sent.status).toBe(202);
    failingDeliveryId = sent.body.deliveryId;
    await waitForDelivery(app, tenantId, failingDeliveryId, (d) => d.status === 'failed', 15_000, 'the test delivery to fail');

    await go(page, `#/deliveries/${failingDeliveryId}`);
    await testId(page, 'attempt-item').first().waitFor();
    expect((await testId(page, 'attempt-item').first().textContent()) ?? '').toContain('Status 401');
    // Record the explanation's length each time the page changes it.
    await page.evaluate(() => {
      const w = window as unknown as { lengths: number[] };
      w.lengths = [];
      new MutationObserver(() => {
        const length = document.querySelector('[data-testid="explain-text"]')?.textContent?.length ?? 0;
        if (length !== w.lengths.at(-1)) w.lengths.push(length);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await testId(page, 'explain-open').click();
    const panel = testId(page, 'explain-panel');
    await panel.waitFor();
    await panel.locator('.caret').waitFor({ state: 'detached', timeout: 30_000 });
    expect(await panel.locator('.notice-error').count()).toBe(0);
    const explanation = (await testId(page, 'explain-text').textContent()) ?? '';
    expect(explanation.length).toBeGreaterThan(40);
    expect(explanation).toMatch(/401/);
    const lengths = await page.evaluate(() => (window as unknown as { lengths: number[] }).lengths);
    expect(lengths.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < lengths.length; i++) expect(lengths[i]).toBeGreaterThanOrEqual(lengths[i - 1]);
    expect(lengths.at(-1)).toBe(explanation.length);
    await look(page, 'delivery-explain');

    await testId(page, 'explain-close').click();
    await panel.waitFor({ state: 'detached' });
    // Focus goes back to the button that opened it (on the next frame).
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'explain-open', undefined, { timeout: 2000 });
  });

  it('reaches every control of every page with Tab, shows where focus is, closes the explanation with Escape (issue 11 point 3)', async () => {
    const kb = await newContext();
    try {
      await kb.addInitScript(recordClickListeners);
      const keys = await kb.newPage();
      await keys.goto((await session()).url);
      const walks: KeyboardWalk[] = [];
      const walk = async (name: string) => walks.push(await walkWithTab(keys, name));

      await testId(keys, 'endpoint-row').first().waitFor();
      await walk('endpoints');

      await go(keys, '#/endpoints/new');
      await testId(keys, 'endpoint-form').waitFor();
      await walk('new endpoint');
      await keys.getByRole('button', { name: /add.*header/i }).click();
      await walk('new endpoint with a header row');

      await go(keys, `#/endpoints/${endpointId}`);
      await testId(keys, 'chart-outcomes').locator('canvas').first().waitFor();
      await testId(keys, 'chart-latency').locator('canvas').first().waitFor();
      await walk('endpoint');
      // Enter on a focused button activates it: the secret appears, with its own controls.
      await tabTo(keys, '[data-testid="endpoint-secret-reveal"]');
      await keys.keyboard.press('Enter');
      await testId(keys, 'endpoint-secret-value').waitFor();
      for (const summary of await keys.locator('.chart-table summary').all()) await summary.click();
      await walk('endpoint with the secret and the figures shown');

      await go(keys, '#/events');
      await testId(keys, 'event-row').first().waitFor();
      await walk('event log');
      // Enter on a focused row link follows it.
      const eventId = (await testId(keys, 'event-row').first().getAttribute('data-id'))!;
      await tabTo(keys, '[data-testid="event-row"] a');
      expect(await keys.evaluate(() => document.activeElement.closest('[data-testid="event-row"]')?.getAttribute('data-id'))).toBe(eventId);
      await keys.keyboard.press('Enter');
      await keys.waitForURL(new RegExp(`#/events/${eventId}$`));
      await keys.getByRole('heading', { level: 2, name: 'Deliveries' }).waitFor();
      await walk('event');

      await go(keys, `#/deliveries/${failingDeliveryId}`);
      await testId(keys, 'attempt-item').first().waitFor();
      await walk('failing delivery');
      // The button opens the panel from the keyboard; focus moves into it; Escape closes it (and
      // aborts the stream) and gives focus back to the button.
      await tabTo(keys, '[data-testid="explain-open"]');
      await keys.keyboard.press('Enter');
      const panel = testId(keys, 'explain-panel');
      await panel.waitFor();
      await keys.waitForFunction(() => document.activeElement?.closest('[data-testid="explain-panel"]') !== null, undefined, { timeout: 2000 });
      await keys.keyboard.press('Escape');
      await panel.waitFor({ state: 'detached', timeout: 2000 });
      await keys.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'explain-open', undefined, { timeout: 2000 });
      // Open again with the keyboard, let it finish, and walk the page with the panel open.
      await keys.keyboard.press('Enter');
      await panel.waitFor();
      await panel.locator('.caret').waitFor({ state: 'detached', timeout: 30_000 });
      await walk('failing delivery with the explanation open');
      // Escape from the panel's own close button does the same.
      await testId(keys, 'explain-close').focus();
      await keys.keyboard.press('Escape');
      await panel.waitFor({ state: 'detached', timeout: 2000 });
      await keys.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'explain-open', undefined, { timeout: 2000 });

      // The walk does see what it looks for: a button without a focus ring, a button taken out of
      // the Tab order and a clickable <div>, planted on the page, are all reported.
      await keys.evaluate(() => {
        const style = document.createElement('style');
        style.id = 'kbd-plant-style';
        style.textContent = '[data-testid="explain-open"]:focus-visible { outline: none; box-shadow: none; }';
        document.head.append(style);
        const plant = document.createElement('div');
        plant.id = 'kbd-plant';
        plant.innerHTML = '<button type="button" tabindex="-1">Planted, not tabbable</button><div>Planted, clickable</div>';
        plant.lastElementChild.addEventListener('click', () => undefined);
        document.querySelector('main').append(plant);
      });
      const planted = await walkWithTab(keys, 'planted');
      await keys.evaluate(() => ['kbd-plant-style', 'kbd-plant'].forEach((id) => document.getElementById(id)?.remove()));
      expect(planted.noIndicator).toEqual([expect.stringContaining('data-testid=explain-open')]);
      expect(planted.unreached).toEqual(['<button> "Planted, not tabbable"', '<div> "Planted, clickable"']);

      const problems = walks.filter((w) => w.unreached.length + w.lost.length + w.invisible.length + w.noIndicator.length > 0);
      expect(problems).toEqual([]);
      for (const w of walks) expect([w.page, w.controls]).toEqual([w.page, expect.any(Number)]);
      expect(walks.every((w) => w.controls >= 5)).toBe(true);
      // The focus indicator was compared on links, buttons, inputs, selects and disclosure summaries.
      const kinds = new Set(walks.flatMap((w) => w.kinds));
      for (const kind of ['a', 'button', 'input', 'select', 'summary']) expect([kind, kinds.has(kind)]).toEqual([kind, true]);
    } finally {
      await kb.close();
    }
  }, 150_000);

  it('a read-only session shows everything, offers no write control, and a write is refused', async () => {
    const ro = await newContext();
    try {
      const roPage = await ro.newPage();
      const { url } = await session({ readOnly: true });
      await roPage.goto(url);
      await testId(roPage, 'readonly-banner').waitFor();
      await testId(roPage, 'endpoint-row').first().waitFor();
      expect(await testId(roPage, 'endpoint-create').count()).toBe(0);
      expect(await roPage.getByRole('button', { name: /Disable|Delete|Send test/ }).count()).toBe(0);
      await look(roPage, 'readonly-endpoints');

      await go(roPage, `#/endpoints/${endpointId}`);
      await testId(roPage, 'endpoint-secret-reveal').waitFor();
      for (const id of ['endpoint-send-test', 'endpoint-delete', 'endpoint-secret-rotate']) expect([id, await testId(roPage, id).count()]).toEqual([id, 0]);
      expect(await roPage.getByRole('button', { name: 'Recover' }).count()).toBe(0);

      await go(roPage, `#/deliveries/${failingDeliveryId}`);
      await testId(roPage, 'attempt-item').first().waitFor();
      expect(await testId(roPage, 'delivery-retry').count()).toBe(0);
      // Reading an explanation is not a write.
      await testId(roPage, 'explain-open').waitFor();

      await go(roPage, '#/endpoints/new');
      await roPage.getByText('This session is read-only').waitFor();
      expect(await testId(roPage, 'endpoint-form').count()).toBe(0);
      await look(roPage, 'readonly-new-endpoint');

      // A write sent with the session's own token anyway is refused by the API.
      const write = await roPage.evaluate(async ({ tenant, target }) => {
        const stored = JSON.parse(sessionStorage.getItem('whk-portal-session') ?? '{}') as { token?: string };
        const res = await fetch(`/v1/tenants/${tenant}/endpoints`, {
          method: 'POST',
          headers: { authorization: `Bearer ${stored.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ url: target }),
        });
        return res.status;
      }, { tenant: tenantId, target: `${receiver.url}/sneaky` });
      expect(write).toBe(403);
      expect((await app.request('GET', path('/endpoints'))).body.data).toHaveLength(1);
    } finally {
      await ro.close();
    }
  });

  it('a revoked or expired session shows the session-ended message and forgets the token', async () => {
    const ended = await newContext();
    try {
      const revoked = await session();
      expect((await app.request('DELETE', path(`/portal-sessions/${revoked.id}`))).status).toBe(204);
      const first = await ended.newPage();
      await first.goto(revoked.url);
      await testId(first, 'session-expired').waitFor();
      expect(await first.evaluate(() => sessionStorage.getItem('whk-portal-session'))).toBeNull();
      expect(first.url()).not.toContain(revoked.token);
      await look(first, 'session-expired');

      const expired = await session();
      await app.db.pool.query(`update portal_sessions set expires_at = now() - interval '1 second' where id = $1`, [expired.id]);
      const second = await ended.newPage();
      await second.goto(expired.url);
      await testId(second, 'session-expired').waitFor();
      expect(await testId(second, 'endpoint-row').count()).toBe(0);
    } finally {
      await ended.close();
    }
  });

  it('fits a 360 px wide screen without horizontal scrolling and follows a dark colour scheme', async () => {
    const narrow = await newContext({ viewport: { width: 360, height: 740 }, colorScheme: 'dark' });
    try {
      const small = await narrow.newPage();
      await small.goto((await session()).url);
      await testId(small, 'endpoint-row').first().waitFor();
      expect(await small.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)).toBe(true);
      const darkBackground = await small.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(darkBackground).not.toBe(lightBackground);
      const luminance = (css: string) => {
        const [r, g, b] = (css.match(/\d+(\.\d+)?/g) ?? ['0', '0', '0']).map(Number);
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      expect(luminance(darkBackground)).toBeLessThan(luminance(lightBackground));

      // 0 when nothing scrolls sideways; otherwise the overflow and the elements that stick out, to fix.
      const overflow = () => small.evaluate(() => {
        const width = document.documentElement.clientWidth;
        const excess = document.documentElement.scrollWidth - width;
        if (excess <= 0) return 0;
        const out = [...document.querySelectorAll('body *')]
          .filter((el) => [...el.childNodes].some((node) => {
            if (node.nodeType !== Node.TEXT_NODE && node.nodeType !== Node.ELEMENT_NODE) return false;
            const range = document.createRange();
            range.selectNode(node);
            return range.getBoundingClientRect().right > width + 0.5;
          }))
          .slice(-5)
          .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${[...el.classList].join('.')} "${(el.textContent ?? '').slice(0, 40)}"`);
        return `${excess} px: ${out.join(', ')}`;
      });
      expect(['endpoints', await overflow()]).toEqual(['endpoints', 0]);
      await look(small, 'narrow-dark-endpoints');

      await go(small, `#/endpoints/${endpointId}`);
      await testId(small, 'chart-outcomes').locator('canvas').first().waitFor();
      expect(['endpoint', await overflow()]).toEqual(['endpoint', 0]);
      await look(small, 'narrow-dark-endpoint');

      await go(small, `#/deliveries/${failingDeliveryId}`);
      await testId(small, 'attempt-item').first().waitFor();
      expect(['delivery', await overflow()]).toEqual(['delivery', 0]);
      await look(small, 'narrow-dark-delivery');

      await go(small, '#/events');
      await testId(small, 'event-row').first().waitFor();
      expect(['event log', await overflow()]).toEqual(['event log', 0]);
      await look(small, 'narrow-dark-event-log');
    } finally {
      await narrow.close();
    }
  });

  it('scanned every page with axe-core', () => {
    expect(checked.length).toBeGreaterThanOrEqual(10);
  });
});
