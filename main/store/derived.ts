import type { DerivedSpec, TableSpec } from './tables';

/**
 * The SQL of a table's derived fields (shared/tables/derived.ts), as extra select columns over the table's row
 * `alias`: a correlated subquery over the child table's parent index per field. Names and columns come from the
 * declarations only.
 */
export function derivedColumnsSql(spec: TableSpec, alias: string): string {
  return spec.derived.map((d) => `, (${subquery(d, alias)}) AS ${derivedAlias(d)}`).join('');
}

export const derivedAlias = (d: DerivedSpec): string => `derived_${d.field}`;

function subquery(d: DerivedSpec, alias: string): string {
  const where = `c.${d.childParentColumn} = ${alias}.id AND c.deleted = 0`;
  if (d.kind === 'count') return `SELECT count(*) FROM ${d.childTable} c WHERE ${where}`;
  const value = d.childColumns.length === 1 ? `c.${d.childColumns[0]}` : `coalesce(${d.childColumns.map((col) => `c.${col}`).join(', ')})`;
  return `SELECT max(${value}) FROM ${d.childTable} c WHERE ${where}`;
}
