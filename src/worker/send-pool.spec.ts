import { SendPool } from './send-pool';

/** A task that stays in flight until released. */
function gatedTask(log: string[], name: string): { run: () => Promise<void>; release: () => void } {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { run: async () => { log.push(name); await done; }, release };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SendPool', () => {
  it('serves waiting tenants round robin, so a quiet tenant waits for one slot, not for a backlog', async () => {
    const pool = new SendPool(1, 1);
    const log: string[] = [];
    const tasks = Array.from({ length: 5 }, (_, i) => gatedTask(log, `flood${i}`));
    const quiet = gatedTask(log, 'quiet');
    const done = tasks.map((t) => pool.submit('flood', 'ep_a', t.run));
    const quietDone = pool.submit('quiet', 'ep_q', quiet.run);
    await tick();
    expect(log).toEqual(['flood0']);
    tasks[0].release();
    await tick(); await tick();
    expect(log).toEqual(['flood0', 'quiet']);
    quiet.release();
    for (const t of tasks.slice(1)) {
      await tick(); await tick();
      t.release();
    }
    await Promise.all([...done, quietDone]);
    expect(log).toEqual(['flood0', 'quiet', 'flood1', 'flood2', 'flood3', 'flood4']);
  });

  it('serves the endpoints of one tenant round robin', async () => {
    const pool = new SendPool(1, 1);
    const log: string[] = [];
    const a = Array.from({ length: 3 }, (_, i) => gatedTask(log, `a${i}`));
    const b = gatedTask(log, 'b0');
    const all = [...a.map((t) => pool.submit('t', 'ep_a', t.run)), pool.submit('t', 'ep_b', b.run)];
    for (const t of [a[0], b, a[1], a[2]]) {
      await tick(); await tick();
      t.release();
    }
    await Promise.all(all);
    expect(log).toEqual(['a0', 'b0', 'a1', 'a2']);
  });

  it('keeps a share of the slots free of any one tenant, even when its attempts hang', async () => {
    const pool = new SendPool(4, 0.75);
    const log: string[] = [];
    const hung = Array.from({ length: 10 }, (_, i) => gatedTask(log, `hung${i}`));
    const hanging = hung.map((t) => pool.submit('hostile', 'ep_h', t.run));
    await tick();
    expect(pool.busy).toBe(3);
    const quiet = gatedTask(log, 'quiet');
    const quietDone = pool.submit('quiet', 'ep_q', quiet.run);
    await tick();
    expect(log).toContain('quiet');
    quiet.release();
    await quietDone;
    hung.forEach((t) => t.release());
    for (let i = 0; i < 10; i++) await tick();
    await Promise.all(hanging);
  });
});
