import type { Settings } from '../domain/settings';
import type { TableMergeSettings } from './engine';

/** The merge settings of one table, from the node's settings (unknown tables fall back to lww). */
export function tableMergeSettings(conflicts: Settings['conflicts'], table: string): TableMergeSettings {
  const tables = conflicts.tables as Record<string, { strategy: TableMergeSettings['strategy']; rules: TableMergeSettings['rules'] } | undefined>;
  const own = Object.hasOwn(tables, table) ? tables[table] : undefined;
  return {
    strategy: own?.strategy ?? 'lww',
    rules: own?.rules ?? [],
    threshold: conflicts.threshold,
    deleteUpdatePolicy: conflicts.deleteUpdatePolicy,
  };
}
