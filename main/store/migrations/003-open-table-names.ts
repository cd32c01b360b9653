/**
 * The queue and the conflict records take any synced table: migration 1 listed the first three tables in a CHECK
 * on table_name, so a table declared later (shared/tables/) could neither queue a change nor record a conflict.
 * The store only ever writes a declared table's name (main/store/tables.ts specOf). SQLite cannot drop a CHECK,
 * so both tables are rebuilt as they are minus that CHECK (rows, ids, indexes, views and AUTOINCREMENT
 * high-water marks kept, so no id is handed out twice).
 */
const NOW = `(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`;

export default `
CREATE TEMP TABLE migration_3_seq AS SELECT name, seq FROM sqlite_sequence WHERE name IN ('sync_queue', 'conflict_resolution');
DROP VIEW pending_sync;
DROP VIEW conflict_summary;

CREATE TABLE sync_queue_3 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  table_name TEXT NOT NULL,
  record_id TEXT NOT NULL,
  operation TEXT NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
  data TEXT,
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
  conflict_id INTEGER,
  completed_at TEXT,
  pushed_seq INTEGER,
  overrode TEXT
);
INSERT INTO sync_queue_3 SELECT * FROM sync_queue;
DROP TABLE sync_queue;
ALTER TABLE sync_queue_3 RENAME TO sync_queue;
CREATE INDEX idx_sync_queue_priority ON sync_queue(priority DESC, created_at) WHERE status = 'pending';
CREATE UNIQUE INDEX uq_sync_queue_one_pending ON sync_queue(table_name, record_id) WHERE status = 'pending';
CREATE INDEX idx_sync_queue_processing ON sync_queue(leased_until) WHERE status = 'processing';
CREATE INDEX idx_sync_queue_failed ON sync_queue(table_name, record_id) WHERE status = 'failed';
CREATE INDEX idx_sync_queue_completed ON sync_queue(completed_at) WHERE status = 'completed';
CREATE INDEX idx_sync_queue_conflict ON sync_queue(conflict_id) WHERE conflict_id IS NOT NULL;

CREATE TABLE conflict_resolution_3 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  table_name TEXT NOT NULL,
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
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'resolved', 'escalated')),
  lost_fields TEXT,
  resolved_on TEXT
);
INSERT INTO conflict_resolution_3 SELECT * FROM conflict_resolution;
DROP TABLE conflict_resolution;
ALTER TABLE conflict_resolution_3 RENAME TO conflict_resolution;
CREATE INDEX idx_conflict_status ON conflict_resolution(status, detected_at);
CREATE INDEX idx_conflict_record ON conflict_resolution(table_name, record_id, status);
CREATE INDEX idx_conflict_lost ON conflict_resolution(resolved_at) WHERE lost_fields IS NOT NULL;

UPDATE sqlite_sequence SET seq = max(seq, (SELECT m.seq FROM migration_3_seq m WHERE m.name = sqlite_sequence.name))
  WHERE name IN (SELECT name FROM migration_3_seq);
INSERT INTO sqlite_sequence (name, seq) SELECT name, seq FROM migration_3_seq m WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence s WHERE s.name = m.name);
DROP TABLE migration_3_seq;

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
