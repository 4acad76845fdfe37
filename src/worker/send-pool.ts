/** One HTTP attempt waiting for a slot of the pool. */
interface Task {
  run: () => Promise<void>;
}

interface Queue<T> {
  waiting: T[];
  /** When it last got a slot (a sequence number): the longest-unserved goes first. */
  lastStart: number;
}

interface TenantState extends Queue<never> {
  endpoints: Map<string, Queue<Task>>;
  inFlight: number;
}

/**
 * The worker process's send slots (WORKER_CONCURRENCY), shared fairly: a free slot goes to
 * the tenant that has waited longest since its last slot, and within it to the endpoint that
 * has, so a tenant's new event never waits behind another tenant's (or another endpoint's)
 * queue, only for the next free slot. One tenant may hold at most `tenantShare` of the
 * slots: the rest stays free for others even when its receivers hang (a hung attempt cannot
 * be taken back). Per-endpoint limits (maxInFlight, rate, circuit) are the endpoint driver's.
 */
export class SendPool {
  private readonly tenants = new Map<string, TenantState>();
  private inFlight = 0;
  private sequence = 0;
  private readonly tenantCap: number;

  constructor(private readonly slots: number, tenantShare = 0.75) {
    this.tenantCap = Math.max(1, Math.min(slots, Math.ceil(slots * tenantShare)));
  }

  get busy(): number {
    return this.inFlight;
  }

  /** Runs `run` once a slot is free for this tenant and endpoint; resolves when it finished. */
  submit(tenantId: string, endpointId: string, run: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let tenant = this.tenants.get(tenantId);
      if (!tenant) {
        tenant = { waiting: [], endpoints: new Map(), inFlight: 0, lastStart: 0 };
        this.tenants.set(tenantId, tenant);
      }
      let endpoint = tenant.endpoints.get(endpointId);
      if (!endpoint) {
        endpoint = { waiting: [], lastStart: 0 };
        tenant.endpoints.set(endpointId, endpoint);
      }
      endpoint.waiting.push({ run: () => run().then(resolve, reject) });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.slots) {
      const next = this.pick();
      if (!next) return;
      const [tenantId, tenant] = next;
      const endpoint = longestWaiting(tenant.endpoints)!;
      const task = endpoint.waiting.shift()!;
      endpoint.lastStart = tenant.lastStart = ++this.sequence;
      this.start(tenantId, tenant, task);
    }
  }

  /** The tenant with waiting work, under its share, served longest ago. */
  private pick(): [string, TenantState] | null {
    let best: [string, TenantState] | null = null;
    for (const entry of this.tenants) {
      const tenant = entry[1];
      if (tenant.inFlight >= this.tenantCap || !longestWaiting(tenant.endpoints)) continue;
      if (!best || tenant.lastStart < best[1].lastStart) best = entry;
    }
    return best;
  }

  private start(tenantId: string, tenant: TenantState, task: Task): void {
    this.inFlight++;
    tenant.inFlight++;
    void task.run().finally(() => {
      this.inFlight--;
      tenant.inFlight--;
      for (const [id, endpoint] of tenant.endpoints) if (endpoint.waiting.length === 0) tenant.endpoints.delete(id);
      // Forgotten once idle: a tenant back after a pause goes first.
      if (tenant.inFlight === 0 && tenant.endpoints.size === 0) this.tenants.delete(tenantId);
      this.pump();
    });
  }
}

function longestWaiting(queues: Map<string, Queue<Task>>): Queue<Task> | null {
  let best: Queue<Task> | null = null;
  for (const queue of queues.values()) {
    if (queue.waiting.length > 0 && (!best || queue.lastStart < best.lastStart)) best = queue;
  }
  return best;
}
