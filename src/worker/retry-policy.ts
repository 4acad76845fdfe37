/**
 * Delay before attempt `attemptsMade + 1`, or null once the schedule is spent: a schedule of n
 * delays allows n + 1 attempts in all. The first attempt is never delayed.
 */
export function nextRetryDelayMs(
  scheduleMs: number[],
  attemptsMade: number,
  jitter: number,
  random: () => number = Math.random,
): number | null {
  if (attemptsMade < 1) return 0;
  if (attemptsMade > scheduleMs.length) return null;
  const spread = Math.min(Math.max(jitter, 0), 1);
  const factor = 1 - spread + 2 * spread * random();
  return Math.max(0, Math.round(scheduleMs[attemptsMade - 1] * factor));
}

export function honoursRetryAfter(status: number | null): boolean {
  return status === 429 || status === 503;
}

/** A receiver may slow us down, up to twice the schedule, but never speed us up. */
export function applyRetryAfter(delayMs: number, retryAfterMs: number | null): number {
  if (retryAfterMs === null) return delayMs;
  return Math.min(Math.max(retryAfterMs, delayMs), 2 * delayMs);
}
