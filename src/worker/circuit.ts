/**
 * An endpoint's circuit (SPEC §10), as pure transitions. Closed: attempts flow. After
 * FAILURE_THRESHOLD failures in a row that say the receiver is down (timeouts, connection
 * errors, 5xx, 429) it opens: due deliveries are held, without using attempts, until
 * `nextProbeAt`; then one probe (the oldest due delivery) goes out (half-open). A probe that
 * succeeds closes the circuit; one that fails opens it again for the next, longer step.
 * Answers that show the receiver is up (2xx, 3xx, other 4xx) reset the count.
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

export interface Circuit {
  state: CircuitState;
  openedAt: Date | null;
  nextProbeAt: Date | null;
  /** Consecutive "down" failures while closed. */
  failures: number;
  /** How many probes failed since it opened: picks the backoff step. */
  step: number;
}

export const FAILURE_THRESHOLD = 5;

export const CLOSED: Circuit = { state: 'closed', openedAt: null, nextProbeAt: null, failures: 0, step: 0 };

/** What an attempt's outcome says about the receiver. */
export type Health = 'up' | 'down';

export function healthOf(status: number | null, error: string | null): Health {
  if (status === null) return 'down'; // timeout, refused, reset, DNS, TLS
  if (status >= 500 || status === 429) return 'down';
  if (status >= 200 && status < 300 && error !== null) return 'down'; // the body broke off or stalled
  return 'up';
}

/**
 * The circuit after an attempt. `probeDelays` are the backoff steps (RETRY_SCHEDULE): the
 * n-th failed probe waits probeDelays[min(n, last)] before the next.
 */
export function afterAttempt(circuit: Circuit, health: Health, now: Date, probeDelays: readonly number[], jitter: () => number = () => 1): Circuit {
  if (health === 'up') return CLOSED;
  const delay = (step: number) => Math.round((probeDelays[Math.min(step, probeDelays.length - 1)] ?? 5_000) * jitter());
  if (circuit.state === 'half-open' || circuit.state === 'open') {
    // A failed probe, or an attempt that was in flight when it opened.
    if (circuit.state === 'open') return circuit;
    const step = circuit.step + 1;
    return { state: 'open', openedAt: circuit.openedAt ?? now, nextProbeAt: new Date(now.getTime() + delay(step)), failures: circuit.failures + 1, step };
  }
  const failures = circuit.failures + 1;
  if (failures < FAILURE_THRESHOLD) return { ...circuit, failures };
  return { state: 'open', openedAt: now, nextProbeAt: new Date(now.getTime() + delay(0)), failures, step: 0 };
}

/** Whether an attempt may start now, given how many are in flight. */
export function admits(circuit: Circuit, inFlight: number, now: Date): 'yes' | 'probe' | 'no' {
  if (circuit.state === 'closed') return 'yes';
  if (circuit.state === 'half-open') return 'no'; // its probe is in flight
  if (inFlight > 0 || circuit.nextProbeAt === null || circuit.nextProbeAt > now) return 'no';
  return 'probe';
}
