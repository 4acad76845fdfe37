/**
 * A delivery's status (SPEC §3): `pending` (queued, in flight or waiting for a retry),
 * `succeeded`, `failed` (attempts exhausted, endpoint gone) or `cancelled`.
 */
export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
