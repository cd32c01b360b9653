import { agentsTable } from './agents';
import { agentStatesTable } from './agent-states';
import { executionsTable } from './executions';
import { workflowsTable } from './workflows';
import type { TableDecl } from './table';

/**
 * Every synced table, in dependency order (a parent before the tables that reference it): the one list the
 * store, the hub, the wire schemas, the settings and the API derive theirs from.
 */
export const tableDecls = {
  agents: agentsTable,
  agent_states: agentStatesTable,
  workflows: workflowsTable,
  executions: executionsTable,
} as const;

export type TableDecls = typeof tableDecls;
export type SyncedTable = keyof TableDecls;
export const syncedTables = Object.keys(tableDecls) as SyncedTable[];

for (const [name, decl] of Object.entries(tableDecls) as Array<[string, TableDecl]>) {
  if (decl.table !== name) throw new Error(`table ${name} is declared as ${decl.table}`);
  const parent = decl.parentField === null ? undefined : decl.fields[decl.parentField]!.references;
  if (parent !== undefined && syncedTables.indexOf(parent as SyncedTable) >= syncedTables.indexOf(name as SyncedTable)) {
    throw new Error(`table ${name}: its parent ${parent} must be declared before it`);
  }
  const lifecycle = decl.lifecycle;
  if (lifecycle) {
    const values = decl.fields[lifecycle.field]?.values ?? [];
    const statuses = [...lifecycle.initial, ...Object.keys(lifecycle.moves), ...Object.values(lifecycle.moves).flat(), ...Object.keys(lifecycle.stamps)];
    const unknown = statuses.find((v) => !values.includes(v));
    if (unknown !== undefined) throw new Error(`table ${name}: lifecycle status ${unknown} is not a value of ${lifecycle.field}`);
    const stamped = [...Object.values(lifecycle.stamps).flat(), ...(lifecycle.duration ? Object.values(lifecycle.duration) : [])] as string[];
    const missing = stamped.find((f) => !Object.hasOwn(decl.fields, f) || decl.patchable.includes(f));
    if (missing !== undefined) throw new Error(`table ${name}: lifecycle field ${missing} must be a field no caller patches`);
  }
}

export { agentsTable, agentStatesTable, workflowsTable, executionsTable };
export type { TableDecl } from './table';
