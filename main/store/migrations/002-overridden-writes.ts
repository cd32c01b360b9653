/**
 * A resolution that replaced another node's write travels with the resolved write (shared/sync/wire.ts
 * overriddenWriteSchema): the queue item carries it until the hub has it. A conflict row names the fields whose
 * edits of this node a resolution replaced, and the node that resolved it when that was another node.
 */
export default `
ALTER TABLE sync_queue ADD COLUMN overrode TEXT;
ALTER TABLE conflict_resolution ADD COLUMN lost_fields TEXT;
ALTER TABLE conflict_resolution ADD COLUMN resolved_on TEXT;
CREATE INDEX idx_conflict_lost ON conflict_resolution(resolved_at) WHERE lost_fields IS NOT NULL;
`;
