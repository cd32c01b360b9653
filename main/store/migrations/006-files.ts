/**
 * Files (main/files/): content-addressed bytes under `<data>/files`, one row each here. Agents and executions refer
 * to files by hash (shared/files/refs.ts). A file's reference count is counted from those fields when asked, never
 * stored (a stored counter drifts when a pulled state replaces a local one).
 */
export default `
ALTER TABLE agents ADD COLUMN attachments TEXT;
ALTER TABLE executions ADD COLUMN attachments TEXT;
CREATE TABLE files (
  hash TEXT PRIMARY KEY,
  size INTEGER NOT NULL CHECK (size >= 0),
  name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  -- local: here only; uploading; synced: here and on the hub; remote-only: on the hub, not here; downloading; failed
  state TEXT NOT NULL CHECK (state IN ('local', 'uploading', 'synced', 'remote-only', 'downloading', 'failed')),
  error TEXT,
  -- the bytes moved by the upload or download under way (progress), and the bytes on disk here
  transferred INTEGER NOT NULL DEFAULT 0,
  stored_size INTEGER,
  compressed INTEGER NOT NULL DEFAULT 0 CHECK (compressed IN (0, 1)),
  pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
  created_at TEXT NOT NULL,
  last_access TEXT,
  -- when the collector first found no record referring to it (cleared when one does again)
  unreferenced_since TEXT
) WITHOUT ROWID;
CREATE INDEX idx_files_state ON files(state);
`;
