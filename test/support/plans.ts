/** A node of `EXPLAIN (FORMAT JSON)`, with the fields the plan tests look at. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** Every node of a plan, the root first. */
export function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/**
 * A partition's table or index under its parent's name: `deliveries_p20261204` is read as
 * `deliveries`, `deliveries_p20261204_pkey` as `deliveries_pkey` (src/database/log-partitions.ts).
 */
export function unpartitioned(name: string | undefined): string | undefined {
  return name?.replace(/_p\d{8}(?=_|$)/, '');
}
