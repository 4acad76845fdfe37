import { Counter, Gauge, Histogram, register } from 'prom-client';

/** Returns the metric already registered under `name`, so importing twice never double-registers. */
export function once<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

export const httpRequests = once('http_requests_total', () => new Counter({
  name: 'http_requests_total',
  help: 'HTTP requests answered by the API',
  labelNames: ['method', 'route', 'status'] as const,
}));

export const deliveryOutcomes = once('webhook_deliveries_total', () => new Counter({
  name: 'webhook_deliveries_total',
  help: 'Delivery attempts by outcome (succeeded, retrying, failed, gone)',
  labelNames: ['outcome'] as const,
}));

export const attemptDuration = once('webhook_attempt_duration_seconds', () => new Histogram({
  name: 'webhook_attempt_duration_seconds',
  help: 'Duration of one delivery attempt, connect to last byte',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
}));

export const publishToDelivery = once('webhook_publish_to_delivery_seconds', () => new Histogram({
  name: 'webhook_publish_to_delivery_seconds',
  help: 'Time from publish to the end of the first attempt',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
}));

export const queueDepth = once('webhook_queue_depth', () => new Gauge({
  name: 'webhook_queue_depth',
  help: 'Attempts due now and waiting (delivery queue), held ones included',
}));

export const heldDeliveries = once('webhook_held_deliveries', () => new Gauge({
  name: 'webhook_held_deliveries',
  help: 'Due attempts held because their endpoint circuit is open',
}));

export const circuitOpenings = once('webhook_circuit_openings_total', () => new Counter({
  name: 'webhook_circuit_openings_total',
  help: 'Times an endpoint circuit opened after repeated failures',
}));

export const eventsPublished = once('webhook_events_published_total', () => new Counter({
  name: 'webhook_events_published_total',
  help: 'Events accepted by publish',
}));

export const workerRestarts = once('webhook_worker_restarts_total', () => new Counter({
  name: 'webhook_worker_restarts_total',
  help: 'Times the delivery worker runner stopped unexpectedly (e.g. the database went away) and was restarted',
}));

export const queueFetches = once('webhook_queue_fetches_total', () => new Counter({
  name: 'webhook_queue_fetches_total',
  help: 'Reads of an endpoint queue by its driver: bounded by the attempts made, never by the deliveries held',
}));
