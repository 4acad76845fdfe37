/**
 * At most `capacity` holders at once; waiters are served round robin between tenants, so one
 * tenant's flood takes at most its turn. A waiter whose signal aborts (its summary deadline
 * passed) leaves the line. Waiting counts against the caller's deadline: the caller's signal
 * is its deadline.
 */
export class FairLimiter {
  private inUse = 0;
  private readonly lines = new Map<string, Array<() => void>>();
  private readonly ring: string[] = [];

  constructor(private readonly capacity: number) {}

  get waiting(): number {
    let n = 0;
    for (const line of this.lines.values()) n += line.length;
    return n;
  }

  /** Resolves with the release function once a slot is this caller's; rejects with the signal's reason. */
  acquire(tenantId: string, signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.inUse < this.capacity && this.ring.length === 0) return Promise.resolve(this.take());
    return new Promise<() => void>((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        resolve(this.take());
      };
      const onAbort = () => {
        const line = this.lines.get(tenantId);
        const at = line?.indexOf(grant) ?? -1;
        if (line && at >= 0) line.splice(at, 1);
        if (line && line.length === 0) this.forget(tenantId);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      let line = this.lines.get(tenantId);
      if (!line) {
        line = [];
        this.lines.set(tenantId, line);
        this.ring.push(tenantId);
      }
      line.push(grant);
    });
  }

  private take(): () => void {
    this.inUse++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse--;
      this.next();
    };
  }

  private next(): void {
    while (this.inUse < this.capacity && this.ring.length > 0) {
      const tenantId = this.ring.shift()!;
      const line = this.lines.get(tenantId)!;
      const grant = line.shift()!;
      if (line.length > 0) this.ring.push(tenantId);
      else this.lines.delete(tenantId);
      grant();
    }
  }

  private forget(tenantId: string): void {
    this.lines.delete(tenantId);
    const at = this.ring.indexOf(tenantId);
    if (at >= 0) this.ring.splice(at, 1);
  }
}
