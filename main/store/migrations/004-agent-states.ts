/** An agent's state entries (shared/tables/agent-states.ts), as main/store/schema.test.ts derives the table. */
export default `
CREATE TABLE agent_states (
  id TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL REFERENCES agents(id),
  key TEXT NOT NULL,
  value TEXT,
  version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  hlc TEXT NOT NULL,
  node_id TEXT NOT NULL,
  vv TEXT NOT NULL DEFAULT '{}',
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  sync_status TEXT NOT NULL DEFAULT 'pending' CHECK (sync_status IN ('pending', 'synced', 'conflict', 'error')),
  last_sync TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX idx_agent_states_agent_id ON agent_states(agent_id);
CREATE INDEX idx_agent_states_updated_at ON agent_states(updated_at);
`;
