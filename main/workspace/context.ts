import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from '../../lib/log';
import type { Mutex } from './lock';
import type { WorkspaceSignals } from './signals';

/** What the parts of the workspace share: its working tree, its database, the one mutex over both, its signals. */
export interface WorkspaceContext {
  /** the Git working tree the items are mirrored in (<data>/workspace, branch main) */
  readonly root: string;
  readonly db: PGlite;
  /** held while item and conflict rows and their files are read and written together; never across a Git request */
  readonly mutex: Mutex;
  readonly signals: WorkspaceSignals;
  readonly log: Logger;
  /** this node's name: who its saves, deletions and resolutions are by */
  readonly nodeName: string;
}
