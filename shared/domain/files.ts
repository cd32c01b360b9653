import type { FileHash } from '../files/wire';

/**
 * A file as a node knows it. `here`: its bytes are on this node. States: `local` (here, not yet on the hub),
 * `uploading`, `synced` (here and on the hub), `remote-only` (on the hub, named by a record here, not here),
 * `downloading`, `failed` (the last transfer failed: `error` says why; it is retried).
 */
export const fileStates = ['local', 'uploading', 'synced', 'remote-only', 'downloading', 'failed'] as const;
export type FileState = (typeof fileStates)[number];

export interface FileInfo {
  hash: FileHash;
  size: number;
  name: string;
  mediaType: string;
  state: FileState;
  error: string | null;
  here: boolean;
  /** bytes on disk here (less than size when compressed), null when not here */
  storedSize: number | null;
  compressed: boolean;
  /** bytes moved by the transfer under way (uploading / downloading), for progress */
  transferred: number;
  pinned: boolean;
  /** live records whose file fields name this file */
  references: number;
  createdAt: string;
  lastAccess: string | null;
  /** when the collector found no record referring to it; it is removed after the grace period unless pinned */
  unreferencedSince: string | null;
}

export interface FileStats {
  byState: Record<FileState, { count: number; bytes: number }>;
  /** bytes of the files stored here, as on disk */
  storedBytes: number;
  /** bytes of downloaded copies that could be evicted (synced, unpinned): the file cache */
  cacheBytes: number;
  cacheCapBytes: number;
  referenced: number;
  unreferenced: number;
}
