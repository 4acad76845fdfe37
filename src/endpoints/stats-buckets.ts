/** The bucket sizes of an endpoint's stats (GET .../endpoints/{id}/stats), in milliseconds. */
export const STATS_BUCKETS = { '1m': 60_000, '1h': 3_600_000, '1d': 86_400_000 } as const;
export type StatsBucket = keyof typeof STATS_BUCKETS;
export const STATS_BUCKET_NAMES = Object.keys(STATS_BUCKETS) as StatsBucket[];
/** A day of minutes, two months of hours, four years of days. */
export const MAX_STATS_BUCKETS = 1440;
