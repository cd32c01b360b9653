import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FileInfo, FileStats } from '../../shared/domain/files';
import type { Page } from '../../shared/domain/records';
import type { Settings } from '../../shared/domain/settings';
import { MEDIA_TYPE, FILE_NAME_MAX } from '../../shared/files/refs';
import { OutpostError } from '../../shared/errors';
import { checkHash, FileBlobs } from '../../lib/file-blobs';
import type { Logger } from '../../lib/log';
import type { EdgeStore } from '../store/index';
import { notFound } from '../store/files';

export const DEFAULT_MEDIA_TYPE = 'application/octet-stream';

/**
 * The node's files: bytes in `<data>/files` (lib/file-blobs.ts: content-addressed, compressed when that pays,
 * atomic, verified), what is known of each in the edge store (main/store/files.ts), the collector of files no
 * record refers to and the eviction of downloaded copies past the cache cap.
 */
export class FileService {
  readonly blobs: FileBlobs;

  constructor(
    private readonly deps: { store: EdgeStore; dataDir: string; settings: () => Settings; log: Logger },
  ) {
    this.blobs = new FileBlobs(join(deps.dataDir, 'files'));
    this.blobs.sweepTemporary();
  }

  private get records() {
    return this.deps.store.files;
  }

  /** Stores bytes as a file: its hash, whether it was new or already here. Nothing is kept past the size limit. */
  async put(source: Readable | AsyncIterable<Uint8Array>, meta: { name?: string; mediaType?: string }): Promise<FileInfo> {
    const name = checkName(meta.name ?? 'file');
    const mediaType = checkMediaType(meta.mediaType ?? DEFAULT_MEDIA_TYPE);
    const stored = await this.blobs.put(source, { maxBytes: this.deps.settings().files.maxFileBytes });
    const known = this.records.get(stored.hash);
    return this.records.stored({
      hash: stored.hash,
      size: stored.size,
      name: known?.name ?? name,
      mediaType: known?.mediaType ?? mediaType,
      storedSize: stored.storedSize,
      compressed: stored.compressed,
      onHub: false,
    });
  }

  stat(hash: string): FileInfo {
    const info = this.records.get(checkHash(hash));
    if (!info) throw notFound(hash);
    return info;
  }

  list(query: { state?: FileInfo['state']; offset?: number; limit?: number }): Page<FileInfo> {
    this.records.discover();
    return this.records.list(query);
  }

  stats(): FileStats {
    this.records.discover();
    return this.records.stats(this.deps.settings().files.cacheBytes);
  }

  /** The bytes (a range of them), for a file stored here. */
  read(hash: string, range?: { start: number; end: number }): { info: FileInfo; stream: Readable } {
    const info = this.stat(hash);
    if (!info.here) {
      throw new OutpostError('not_found', `File ${hash} is not on this node yet (${info.state}): fetch it from the hub first (files.fetch).`);
    }
    const stream = this.blobs.read(info.hash, range);
    this.records.touch(info.hash);
    stream.on('error', (error: Error & { corrupt?: boolean }) => {
      if (!error.corrupt) return;
      this.deps.log.error('file damaged on disk', { hash: info.hash });
      this.blobs.delete(info.hash);
      this.records.removedHere(info.hash, true);
      this.records.setState(info.hash, 'failed', { error: 'The copy on disk was damaged and was removed: it is fetched again from the hub.' });
    });
    return { info, stream };
  }

  pin(hash: string, pinned: boolean): FileInfo {
    return this.records.pin(checkHash(hash), pinned);
  }

  /** Removes a file no record refers to, here (the hub keeps its copy, if any). */
  delete(hash: string): { hash: string; deleted: true } {
    const info = this.stat(hash);
    if (info.references > 0) {
      throw new OutpostError('conflict', `File ${hash} is referred to by ${info.references} record(s): remove it from them first.`);
    }
    this.blobs.delete(info.hash);
    this.records.removedHere(info.hash, false);
    return { hash: info.hash, deleted: true };
  }

  /**
   * The maintenance pass: files unreferenced past the grace period are removed (pinned ones stay), then
   * downloaded copies are evicted least recently used first while the cache is over its cap. A file that exists
   * only here is never evicted. Returns what it removed.
   */
  collect(nowMs = Date.now()): { collected: string[]; evicted: string[] } {
    const files = this.deps.settings().files;
    const collected = this.records.unreferencedPastGrace(files.gcGraceHours * 3_600_000, nowMs);
    for (const hash of collected) {
      this.blobs.delete(hash);
      this.records.removedHere(hash, false);
    }
    const evicted: string[] = [];
    let cache = this.records.stats(files.cacheBytes).cacheBytes;
    for (const { hash, storedSize } of this.records.evictable()) {
      if (cache <= files.cacheBytes) break;
      this.blobs.delete(hash);
      this.records.removedHere(hash, true);
      cache -= storedSize;
      evicted.push(hash);
    }
    if (collected.length || evicted.length) this.deps.log.info('files collected', { collected: collected.length, evicted: evicted.length });
    return { collected, evicted };
  }
}

function checkName(name: string): string {
  // a name is shown and offered as a download name, never used as a path here
  if (typeof name !== 'string' || name.length === 0 || name.length > FILE_NAME_MAX || /[\u0000-\u001f/\\]/.test(name)) {
    throw new OutpostError('invalid_input', `Invalid file name: 1-${FILE_NAME_MAX} characters, no slashes or control characters.`);
  }
  return name;
}

function checkMediaType(mediaType: string): string {
  const base = mediaType.split(';')[0]!.trim().toLowerCase();
  if (!MEDIA_TYPE.test(base)) throw new OutpostError('invalid_input', `Invalid media type ${JSON.stringify(mediaType.slice(0, 80))}: a type such as text/plain.`);
  return base;
}
