import { FairLimiter } from './fair-limiter';

const signal = () => new AbortController().signal;

describe('FairLimiter', () => {
  it('lets `capacity` in at once and serves the waiting tenants round robin', async () => {
    const limiter = new FairLimiter(2);
    const order: string[] = [];
    const held = [await limiter.acquire('a', signal()), await limiter.acquire('a', signal())];
    const waits = [
      ...Array.from({ length: 5 }, (_, i) => limiter.acquire('flood', signal()).then((release) => order.push(`flood${i}`) && release)),
      limiter.acquire('quiet', signal()).then((release) => order.push('quiet') && release),
    ];
    expect(limiter.waiting).toBe(6);
    held[0]();
    await new Promise((r) => setImmediate(r));
    held[1]();
    await new Promise((r) => setImmediate(r));
    // the quiet tenant was second in line, not sixth
    expect(order).toEqual(['flood0', 'quiet']);
    const releases = await Promise.all(waits.slice(0, 1).concat(waits.slice(5)));
    releases.forEach((release) => typeof release === 'function' && release());
  });

  it('drops a waiter whose deadline passed, and never exceeds its capacity', async () => {
    const limiter = new FairLimiter(1);
    const release = await limiter.acquire('a', signal());
    const deadline = new AbortController();
    const late = limiter.acquire('b', deadline.signal);
    deadline.abort(new Error('deadline'));
    await expect(late).rejects.toThrow('deadline');
    expect(limiter.waiting).toBe(0);
    const next = limiter.acquire('c', signal());
    release();
    const releaseNext = await next;
    let third = false;
    const pending = limiter.acquire('d', signal()).then((r) => { third = true; return r; });
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(false);
    releaseNext();
    (await pending)();
  });
});
