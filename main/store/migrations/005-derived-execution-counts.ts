/**
 * A workflow's executionCount and lastExecution are derived from its executions when read
 * (shared/tables/workflows.ts `derived`), no longer stored and synced: merged last-writer-wins, two nodes'
 * counts overwrote each other. The stored copies of workflow states (the shadow, queued pushes, conflicts) lose the
 * two fields too, so no delta or merge compares a field the table no longer has.
 */
const strip = (column: string) => `${column} = json_remove(${column}, '$.executionCount', '$.lastExecution')`;

export default `
ALTER TABLE workflows DROP COLUMN last_execution;
ALTER TABLE workflows DROP COLUMN execution_count;
UPDATE sync_shadow SET ${strip('data')} WHERE table_name = 'workflows' AND data IS NOT NULL;
UPDATE sync_queue SET ${strip('data')} WHERE table_name = 'workflows' AND data IS NOT NULL;
UPDATE conflict_resolution SET ${strip('base_data')} WHERE table_name = 'workflows' AND base_data IS NOT NULL;
UPDATE conflict_resolution SET ${strip('local_data')} WHERE table_name = 'workflows' AND local_data IS NOT NULL;
UPDATE conflict_resolution SET ${strip('remote_data')} WHERE table_name = 'workflows' AND remote_data IS NOT NULL;
UPDATE conflict_resolution SET ${strip('resolved_data')} WHERE table_name = 'workflows' AND resolved_data IS NOT NULL;
UPDATE conflict_resolution SET ${strip('replaced_data')} WHERE table_name = 'workflows' AND replaced_data IS NOT NULL;
`;
