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
}

export { agentsTable, agentStatesTable, workflowsTable, executionsTable };
export type { TableDecl } from './table';
