import { CascadeError, type CascadeOptions, type CallOutcome, SummaryCascade } from './cascade';
import { type Completion, type CompletionRequest, type LlmProvider, ProviderError } from './providers/provider';

type Step = Completion | ProviderError;

/** In-memory provider playing a script; used only to test the cascade's policy. */
class ScriptedProvider implements LlmProvider {
  readonly kind = 'scripted';
  readonly name: string;
  calls = 0;
  constructor(readonly model: string, private readonly steps: Step[]) {
    this.name = `scripted:${model}`;
  }
  async complete(_req: CompletionRequest): Promise<Completion> {
    const step = this.steps[Math.min(this.calls++, this.steps.length - 1)];
    if (step instanceof ProviderError) throw step;
    return step;
  }
}

const ok = (text: string, model = 'm'): Completion => ({ text, model, inputTokens: 100, outputTokens: 10 });
const transient = (retryAfterMs?: number) => new ProviderError('transient', 'HTTP 500', { status: 500, retryAfterMs });
const options = (more: Partial<CascadeOptions> = {}): Partial<CascadeOptions> => ({ baseBackoffMs: 1, maxBackoffMs: 2, random: () => 0.5, ...more });
const request = (signal = new AbortController().signal) => ({ system: 's', user: 'u', validate: (t: string) => (t.includes('bad') ? null : t), signal });

async function rejection(promise: Promise<unknown>): Promise<CascadeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CascadeError) return error;
    throw error;
  }
  throw new Error('expected a CascadeError');
}

describe('SummaryCascade', () => {
  it('retries transient failures and returns the first valid reply with the tokens spent', async () => {
    const provider = new ScriptedProvider('a', [transient(), transient(), ok('Done.')]);
    const outcomes: CallOutcome[] = [];
    const cascade = new SummaryCascade([provider], options(), { onCall: (_p, outcome) => outcomes.push(outcome) });
    const result = await cascade.run(request());
    expect(result).toMatchObject({ text: 'Done.', provider: 'scripted:a', spent: { input: 100, output: 10 } });
    expect(outcomes).toEqual(['transient', 'transient', 'success']);
  });

  it('does not retry permanent failures but moves on', async () => {
    const first = new ScriptedProvider('a', [new ProviderError('permanent', 'HTTP 401', { status: 401 })]);
    const second = new ScriptedProvider('b', [ok('From b.', 'b')]);
    const result = await new SummaryCascade([first, second], options()).run(request());
    expect(result.model).toBe('b');
    expect(first.calls).toBe(1);
  });

  it('moves on after invalid or too-long replies without retrying', async () => {
    const first = new ScriptedProvider('a', [ok('a bad reply')]);
    const second = new ScriptedProvider('b', [new ProviderError('too-long', 'long')]);
    const third = new ScriptedProvider('c', [ok('Good.', 'c')]);
    const result = await new SummaryCascade([first, second, third], options()).run(request());
    expect(result.text).toBe('Good.');
    expect([first.calls, second.calls, third.calls]).toEqual([1, 1, 1]);
    expect(result.spent.input).toBeGreaterThanOrEqual(200); // the invalid reply's tokens count too
  });

  it('throws all-failed when nothing works', async () => {
    const error = await rejection(new SummaryCascade([new ScriptedProvider('a', [transient()])], options()).run(request()));
    expect(error.reason).toBe('all-failed');
  });

  it('throws no-providers with none configured', async () => {
    expect((await rejection(new SummaryCascade([], options()).run(request()))).reason).toBe('no-providers');
  });

  it('opens the circuit after N failures in a row and closes it after the cool-down', async () => {
    let clock = 1_000;
    const flaky = new ScriptedProvider('a', [transient(), transient(), transient(), transient(), ok('Back.')]);
    const backup = new ScriptedProvider('b', [ok('Backup.', 'b')]);
    const cascade = new SummaryCascade([flaky, backup], options({ failureThreshold: 3, cooldownMs: 60_000, now: () => clock }));

    expect((await cascade.run(request())).model).toBe('b');
    expect(flaky.calls).toBe(3);
    expect(cascade.isOpen('scripted:a')).toBe(true);

    expect((await cascade.run(request())).model).toBe('b');
    expect(flaky.calls).toBe(3); // skipped while open

    clock += 60_001;
    expect(cascade.isOpen('scripted:a')).toBe(false);
    expect((await cascade.run(request())).model).toBe('b');
    expect(flaky.calls).toBe(4); // one trial call, failed: open again at once
    expect(cascade.isOpen('scripted:a')).toBe(true);

    clock += 60_001;
    expect((await cascade.run(request())).text).toBe('Back.');
    expect(cascade.isOpen('scripted:a')).toBe(false);
  });

  it('reports circuit-open when every provider cools down', async () => {
    const cascade = new SummaryCascade([new ScriptedProvider('a', [transient()])], options({ failureThreshold: 1, maxAttemptsPerProvider: 1 }));
    expect((await rejection(cascade.run(request()))).reason).toBe('all-failed');
    expect((await rejection(cascade.run(request()))).reason).toBe('circuit-open');
  });

  it('does not wait a Retry-After that ends past the deadline', async () => {
    let clock = 0;
    const first = new ScriptedProvider('a', [transient(5_000), ok('Late.')]);
    const second = new ScriptedProvider('b', [ok('Now.', 'b')]);
    const cascade = new SummaryCascade([first, second], options({ now: () => clock }));
    const started = Date.now();
    const result = await cascade.run({ ...request(), deadlineAt: clock + 1_000 });
    expect(result.model).toBe('b');
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('stops at once when the deadline signal aborts, without a circuit strike', async () => {
    const controller = new AbortController();
    const hanging: LlmProvider = {
      kind: 'scripted', name: 'scripted:hang', model: 'hang',
      complete: (req) => new Promise((_resolve, reject) => req.signal.addEventListener('abort', () => reject(new ProviderError('transient', 'aborted')))),
    };
    const cascade = new SummaryCascade([hanging], options({ failureThreshold: 1 }));
    setTimeout(() => controller.abort(new Error('deadline')), 50);
    expect((await rejection(cascade.run(request(controller.signal)))).reason).toBe('aborted');
    expect(cascade.isOpen('scripted:hang')).toBe(false);
  });

  it('backs off exponentially with jitter, capped, and never below Retry-After', () => {
    const cascade = new SummaryCascade([], { baseBackoffMs: 100, maxBackoffMs: 1_000, random: () => 0 });
    expect([1, 2, 3, 4, 5].map((a) => cascade.backoff(a, undefined))).toEqual([50, 100, 200, 400, 500]);
    expect(cascade.backoff(1, 3_000)).toBe(3_000);
    const high = new SummaryCascade([], { baseBackoffMs: 100, maxBackoffMs: 1_000, random: () => 0.999 });
    expect(high.backoff(1, undefined)).toBe(150);
  });
});
