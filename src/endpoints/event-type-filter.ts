/** An exact event type, a prefix wildcard such as `invoice.*`, or `*` for every type. */
export const EVENT_TYPE_FILTER_PATTERN = /^(\*|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?)$/;

/**
 * The same rule in SQL, for the publish statement: `$type` is the event type parameter and
 * `event_types` the endpoint column. Tested against PostgreSQL through the publish statement
 * (test/e2e/sql-rules.e2e-spec.ts).
 */
export const MATCHES_EVENT_TYPE_SQL = (typeParam: string) => `(
  cardinality(event_types) = 0
  or ${typeParam} = any(event_types)
  or exists (select 1 from unnest(event_types) f
             where f = '*' or (right(f, 2) = '.*' and starts_with(${typeParam}, left(f, -1)))))`;
