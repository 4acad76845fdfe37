/** An exact event type, a prefix wildcard such as `invoice.*`, or `*` for every type. */
export const EVENT_TYPE_FILTER_PATTERN = /^(\*|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?)$/;

export function matchesEventType(filters: readonly string[], type: string): boolean {
  if (filters.length === 0) return true;
  return filters.some((filter) => {
    if (filter === '*') return true;
    if (filter.endsWith('.*')) return type.startsWith(filter.slice(0, -1));
    return filter === type;
  });
}

/**
 * The same rule in SQL, for the publish statement: `$type` is the event type parameter and
 * `event_types` the endpoint column. Keep in step with matchesEventType (tested together).
 */
export const MATCHES_EVENT_TYPE_SQL = (typeParam: string) => `(
  cardinality(event_types) = 0
  or ${typeParam} = any(event_types)
  or exists (select 1 from unnest(event_types) f
             where f = '*' or (right(f, 2) = '.*' and starts_with(${typeParam}, left(f, -1)))))`;
