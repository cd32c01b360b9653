/*
 * Migration 1: the first schema.
 * Fixed from the seed (edge-offline-components.md):
 * - no `AFTER INSERT OR UPDATE` trigger (not SQLite) and no trigger that builds queue rows: the store enqueues
 *   in the same transaction as the write, so coalescing and priorities live in one place and are tested;
 * - the seed's `update_*_timestamp` triggers re-updated the row they fired on (a second write per update):
 *   the store sets updated_at itself;
 * - conflict_resolution has `detected_at`, which conflict_summary reads (the seed's view read a missing column);
 * - the seed's idx_sync_queue_status(status) and idx_sync_queue_priority(priority DESC) become partial indexes:
 *   pending items by (priority DESC, created_at), which serves the pending_sync view and leasing; processing
 *   items by lease expiry; failed items by record; completed items by completion time (pruning, counts). The
 *   write path touches only the pending ones; a partial unique index keeps one pending item per record;
 * - sync_queue.conflict_id has no foreign key: an FK check on it would need a full index written by every
 *   enqueue; the store clears it when it resolves a conflict, before a resolved conflict can be pruned;
 * - the status indexes of the record tables only hold live rows (WHERE deleted = 0): lists and record counts
 *   never touch tombstones, and a count is an index-only scan;
 * - all timestamps are ISO-8601 UTC text (`2026-01-01T00:00:00.000Z`), so they sort and compare as text.
 */

const NOW = `(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`;

/** Sync columns every synced table carries. */
const SYNC_COLUMNS = `
  version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  hlc TEXT NOT NULL,
  node_id TEXT NOT NULL,
  vv TEXT NOT NULL DEFAULT '{}',
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  sync_status TEXT NOT NULL DEFAULT 'pending' CHECK (sync_status IN ('pending', 'synced', 'conflict', 'error')),
  last_sync TEXT,
  created_at TEXT NOT NULL DEFAULT ${NOW},
  updated_at TEXT NOT NULL DEFAULT ${NOW}`;

export default `
CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'inactive',
  config TEXT NOT NULL DEFAULT '{}',
  ${SYNC_COLUMNS}
);

CREATE TABLE workflows (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  definition TEXT NOT NULL DEFAULT '{}',
  status TEXT NOT NULL DEFAULT 'draft',
  agent_id TEXT REFERENCES agents(id),
  last_execution TEXT,
  execution_count INTEGER NOT NULL DEFAULT 0,
  ${SYNC_COLUMNS}
);

CREATE TABLE executions (
  id TEXT PRIMARY KEY,
  workflow_id TEXT NOT NULL REFERENCES workflows(id),
  status TEXT NOT NULL DEFAULT 'queued',
  input_data TEXT,
  output_data TEXT,
  error_message TEXT,
  started_at TEXT,
  completed_at TEXT,
  duration_ms INTEGER,
  resource_usage TEXT,
  ${SYNC_COLUMNS}
);

CREATE TABLE conflict_resolution (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  table_name TEXT NOT NULL CHECK (table_name IN ('agents', 'workflows', 'executions')),
  record_id TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('update-update', 'delete-update', 'create-create')),
  local_version INTEGER,
  remote_version INTEGER,
  base_data TEXT,
  local_data TEXT,
  remote_data TEXT,
  local_vv TEXT NOT NULL,
  remote_vv TEXT NOT NULL,
  local_hlc TEXT,
  remote_hlc TEXT NOT NULL,
  remote_node_id TEXT NOT NULL,
  resolution_strategy TEXT,
  resolved_data TEXT,
  replaced_data TEXT,
  automatic INTEGER NOT NULL DEFAULT 0 CHECK (automatic IN (0, 1)),
  confidence REAL CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 1)),
  created_at TEXT NOT NULL DEFAULT ${NOW},
  detected_at TEXT NOT NULL DEFAULT ${NOW},
  resolved_at TEXT,
  resolved_by TEXT,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'resolved', 'escalated'))
);

CREATE TABLE sync_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  table_name TEXT NOT NULL CHECK (table_name IN ('agents', 'workflows', 'executions')),
  record_id TEXT NOT NULL,
  operation TEXT NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
  data TEXT, -- NULL while pending; at lease time, the exact state pushed (the shadow once acked)
  priority INTEGER NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 5,
  created_at TEXT NOT NULL DEFAULT ${NOW},
  last_attempt TEXT,
  error_message TEXT,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
  change_id TEXT,
  lease_id TEXT,
  leased_until TEXT,
  next_attempt_at TEXT,
  conflict_id INTEGER, -- the pending conflict_resolution row blocking this item (kept by the store, no FK: see the header)
  completed_at TEXT,
  pushed_seq INTEGER
);

CREATE TABLE sync_shadow (
  table_name TEXT NOT NULL,
  record_id TEXT NOT NULL,
  data TEXT,
  vv TEXT NOT NULL,
  hlc TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  PRIMARY KEY (table_name, record_id)
) WITHOUT ROWID;

CREATE TABLE sync_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE INDEX idx_agents_status ON agents(status) WHERE deleted = 0;
CREATE INDEX idx_agents_sync_status ON agents(sync_status);
CREATE INDEX idx_agents_updated_at ON agents(updated_at);
CREATE INDEX idx_workflows_agent_id ON workflows(agent_id);
CREATE INDEX idx_executions_workflow_id ON executions(workflow_id);
CREATE INDEX idx_executions_status ON executions(status) WHERE deleted = 0;
CREATE INDEX idx_workflows_status ON workflows(status) WHERE deleted = 0;
CREATE INDEX idx_sync_queue_priority ON sync_queue(priority DESC, created_at) WHERE status = 'pending';
CREATE UNIQUE INDEX uq_sync_queue_one_pending ON sync_queue(table_name, record_id) WHERE status = 'pending';
CREATE INDEX idx_sync_queue_processing ON sync_queue(leased_until) WHERE status = 'processing';
CREATE INDEX idx_sync_queue_failed ON sync_queue(table_name, record_id) WHERE status = 'failed';
CREATE INDEX idx_sync_queue_completed ON sync_queue(completed_at) WHERE status = 'completed';
CREATE INDEX idx_sync_queue_conflict ON sync_queue(conflict_id) WHERE conflict_id IS NOT NULL;
CREATE INDEX idx_conflict_status ON conflict_resolution(status, detected_at);
CREATE INDEX idx_conflict_record ON conflict_resolution(table_name, record_id, status);

CREATE VIEW active_agents AS
SELECT * FROM agents
WHERE deleted = 0 AND status IN ('active', 'running', 'processing')
ORDER BY updated_at DESC;

CREATE VIEW pending_sync AS
SELECT id, table_name, record_id, operation, priority, created_at
FROM sync_queue
WHERE status = 'pending'
ORDER BY priority DESC, created_at ASC;

CREATE VIEW conflict_summary AS
SELECT
  table_name,
  COUNT(*) AS conflict_count,
  MIN(detected_at) AS oldest_conflict,
  MAX(detected_at) AS newest_conflict
FROM conflict_resolution
WHERE status = 'pending'
GROUP BY table_name;
`;
