/**
 * A read-only field computed from a table's children when a record is read, never stored with the record nor
 * synced: every node holds every child, so counts add up across nodes instead of one node's count overwriting
 * another's (a counter merged last-writer-wins loses increments).
 */
export type DerivedDecl =
  /** how many live children of `table` name this record as their parent */
  | { readonly kind: 'count'; readonly table: string }
  /** the latest of the children's `fields` (the first non-null one of each child), or null without children */
  | { readonly kind: 'latest'; readonly table: string; readonly fields: readonly string[] };

export const countOf = (table: string) => ({ kind: 'count', table }) as const;
export const latestOf = (table: string, ...fields: string[]) => ({ kind: 'latest', table, fields }) as const;

/** The value type of a derived field. */
export type DerivedValue<D> = D extends { kind: 'count' } ? number : string | null;
