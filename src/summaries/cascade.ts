import { type Completion, type LlmProvider, ProviderError } from './providers/provider';

export interface CascadeOptions {
  /** Longest single provider call, headers to terminal event. */
  callTimeoutMs: number;
  /** Calls per provider per summary, the first included, while failures are transient. */
  maxAttemptsPerProvider: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** Consecutive failures that open a provider's circuit... */
  failureThreshold: number;
  /** ...for this long, during which it is skipped. */
  cooldownMs: number;
  /** The reply is cut off past this many characters. */
  maxChars: number;
  now: () => number;
  random: () => number;
}

export const DEFAULT_CASCADE_OPTIONS: CascadeOptions = {
  callTimeoutMs: 10_000,
  maxAttemptsPerProvider: 3,
  baseBackoffMs: 100,
  maxBackoffMs: 2_000,
  failureThreshold: 3,
  cooldownMs: 30_000,
  maxChars: 300,
  now: () => Date.now(),
  random: () => Math.random(),
};

export type CallOutcome = 'success' | 'invalid' | 'aborted' | ProviderError['kind'];

export interface CascadeHooks {
  onCall?(provider: LlmProvider, outcome: CallOutcome, seconds: number, completion: Completion | null): void;
}

export interface CascadeRequest {
  system: string;
  user: string;
  /** The accepted summary text, or null to reject the reply. */
  validate(text: string): string | null;
  /** Deadline and shutdown: once aborted, nothing more is tried. */
  signal: AbortSignal;
  /** On the `now` clock: no backoff is waited that would end past it. */
  deadlineAt?: number;
  /** Waits until `provider` may be called (its cluster-wide rate); rejects once `signal` aborts. */
  beforeCall?(provider: LlmProvider): Promise<void>;
  /**
   * Streaming: each piece of reply text as it arrives. Once one piece went out, the reply
   * cannot be taken back, so a failure after it ends the cascade (`interrupted`) instead of
   * trying again or moving to the next provider.
   */
  onDelta?(text: string, provider: LlmProvider): void;
  /** Per-request overrides of the cascade's call timeout and length limit, and of the providers' idle timeout. */
  callTimeoutMs?: number;
  maxChars?: number;
  idleTimeoutMs?: number;
}

export interface TokenSpend {
  input: number;
  output: number;
}

export interface CascadeResult {
  text: string;
  model: string;
  provider: string;
  /** Tokens of every call made, measured where reported, estimated (chars / 4) where not. */
  spent: TokenSpend;
}

export type CascadeFailureReason = 'aborted' | 'all-failed' | 'circuit-open' | 'no-providers' | 'interrupted';

export class CascadeError extends Error {
  override readonly name = 'CascadeError';
  constructor(
    readonly reason: CascadeFailureReason,
    readonly spent: TokenSpend,
    message: string,
    /** The model whose streamed reply broke off (`interrupted`), or that was streaming when aborted. */
    readonly model: string | null = null,
    /** The provider's failure kind when `interrupted`. */
    readonly kind: ProviderError['kind'] | null = null,
  ) {
    super(message);
  }
}

export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/**
 * Providers in order. Transient failures are retried with jittered exponential backoff (at
 * least Retry-After) while the deadline allows; a provider that failed `failureThreshold`
 * times in a row is skipped for `cooldownMs`. The first reply that passes `validate` wins.
 */
export class SummaryCascade {
  private readonly options: CascadeOptions;
  private readonly circuits = new Map<string, { failures: number; openUntil: number }>();

  constructor(
    private readonly providers: readonly LlmProvider[],
    options: Partial<CascadeOptions> = {},
    private readonly hooks: CascadeHooks = {},
  ) {
    this.options = { ...DEFAULT_CASCADE_OPTIONS, ...options };
  }

  get size(): number {
    return this.providers.length;
  }

  /** Whether `name`'s circuit is open now (skipped until its cool-down ends). */
  isOpen(name: string): boolean {
    const circuit = this.circuits.get(name);
    return circuit !== undefined && circuit.openUntil > this.options.now();
  }

  async run(req: CascadeRequest): Promise<CascadeResult> {
    const spent: TokenSpend = { input: 0, output: 0 };
    if (this.providers.length === 0) throw new CascadeError('no-providers', spent, 'no providers configured');
    let tried = 0;
    const errors: string[] = [];

    for (const provider of this.providers) {
      if (this.isOpen(provider.name)) continue;
      tried++;
      for (let attempt = 1; attempt <= this.options.maxAttemptsPerProvider; attempt++) {
        if (req.signal.aborted) throw new CascadeError('aborted', spent, `aborted: ${String(req.signal.reason)}`);
        if (req.beforeCall) {
          try {
            await req.beforeCall(provider);
          } catch {
            throw new CascadeError('aborted', spent, `aborted while waiting for ${provider.name}'s rate limit`);
          }
        }
        const started = performance.now();
        const inputChars = req.system.length + req.user.length;
        const maxChars = req.maxChars ?? this.options.maxChars;
        let streamed = false;
        let streamedChars = 0;
        const onDelta = req.onDelta;
        let completion: Completion;
        try {
          completion = await provider.complete({
            system: req.system,
            user: req.user,
            maxChars,
            signal: AbortSignal.any([req.signal, AbortSignal.timeout(req.callTimeoutMs ?? this.options.callTimeoutMs)]),
            idleTimeoutMs: req.idleTimeoutMs,
            onDelta: onDelta && ((text) => {
              streamed = true;
              streamedChars += text.length;
              onDelta(text, provider);
            }),
          });
        } catch (caught) {
          const seconds = (performance.now() - started) / 1000;
          const error = caught instanceof ProviderError ? caught : new ProviderError('transient', String(caught), { cause: caught });
          if (error.status === undefined) spent.input += estimateTokens(inputChars); // it reached the model, maybe billed
          if (error.kind === 'too-long') spent.output += estimateTokens(maxChars);
          // Our own deadline or shutdown is not the provider's fault: no circuit strike.
          if (req.signal.aborted) {
            if (streamed) spent.output += estimateTokens(streamedChars);
            this.hooks.onCall?.(provider, 'aborted', seconds, null);
            throw new CascadeError('aborted', spent, `aborted: ${String(req.signal.reason)}`, streamed ? provider.model : null);
          }
          this.hooks.onCall?.(provider, error.kind, seconds, null);
          errors.push(`${provider.name}: ${error.kind} ${error.message}`);
          if (error.kind !== 'too-long') this.recordFailure(provider.name);
          if (streamed) {
            if (error.kind !== 'too-long') spent.output += estimateTokens(streamedChars);
            throw new CascadeError('interrupted', spent, errors.join('; '), provider.model, error.kind);
          }
          const retryable = error.kind === 'transient' || error.kind === 'incomplete';
          if (!retryable || attempt === this.options.maxAttemptsPerProvider || this.isOpen(provider.name)) break;
          const delay = this.backoff(attempt, error.retryAfterMs);
          if (req.deadlineAt !== undefined && this.options.now() + delay >= req.deadlineAt) break;
          if (!(await sleep(delay, req.signal))) throw new CascadeError('aborted', spent, 'aborted while backing off');
          continue;
        }
        const seconds = (performance.now() - started) / 1000;
        spent.input += completion.inputTokens ?? estimateTokens(inputChars);
        spent.output += completion.outputTokens ?? estimateTokens(completion.text.length);
        const text = req.validate(completion.text);
        if (text === null) {
          // A reply we cannot use is the model's answer, not an outage: next provider, no circuit strike.
          this.hooks.onCall?.(provider, 'invalid', seconds, completion);
          errors.push(`${provider.name}: invalid output`);
          if (streamed) throw new CascadeError('interrupted', spent, errors.join('; '), provider.model);
          break;
        }
        this.hooks.onCall?.(provider, 'success', seconds, completion);
        this.circuits.delete(provider.name);
        return { text, model: completion.model, provider: provider.name, spent };
      }
    }
    if (tried === 0) throw new CascadeError('circuit-open', spent, 'every provider is cooling down');
    throw new CascadeError('all-failed', spent, errors.join('; '));
  }

  /** Exponential with ±50% jitter, never shorter than the server's Retry-After. */
  backoff(attempt: number, retryAfterMs: number | undefined): number {
    const exponential = Math.min(this.options.maxBackoffMs, this.options.baseBackoffMs * 2 ** (attempt - 1));
    const jittered = exponential * (0.5 + this.options.random());
    return Math.max(Math.round(jittered), retryAfterMs ?? 0);
  }

  private recordFailure(name: string): void {
    const circuit = this.circuits.get(name) ?? { failures: 0, openUntil: 0 };
    circuit.failures++;
    // Past the threshold (also the single trial call after a cool-down), the circuit opens again.
    if (circuit.failures >= this.options.failureThreshold) circuit.openUntil = this.options.now() + this.options.cooldownMs;
    this.circuits.set(name, circuit);
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
