// Moved to lib/log.ts (Node-only helpers shared by node, worker and hub); this re-export goes with its last importer.
export type { Logger } from '../lib/log';
