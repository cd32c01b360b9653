import type { EventBus } from './events';
import type { Logger } from '../lib/log';
import type { SecretStore } from './secrets';
import type { SettingsStore } from './settings-store';

/** Who this node is. The node id is generated once and kept in `<data>/node.json`. */
export interface NodeIdentity {
  nodeId: string;
  nodeName: string;
  dataDir: string;
  startedAt: string;
  version: string;
}

/** What every service and handler slice may use. The databases themselves are added by main/node.ts. */
export interface NodeContext {
  identity: NodeIdentity;
  settings: SettingsStore;
  events: EventBus;
  secrets: SecretStore;
  log: Logger;
}
