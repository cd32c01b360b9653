import initial from './001-initial';
import overriddenWrites from './002-overridden-writes';
import openTableNames from './003-open-table-names';
import agentStates from './004-agent-states';
import derivedExecutionCounts from './005-derived-execution-counts';
import files from './006-files';

/**
 * Step n (1-based) brings PRAGMA user_version from n-1 to n. One file per step, numbered; append only, never
 * edit a released step. A new synced table's step is the CREATE TABLE that main/store/schema.test.ts prints
 * from the table's declaration.
 */
export const migrations: readonly string[] = [initial, overriddenWrites, openTableNames, agentStates, derivedExecutionCounts, files];
