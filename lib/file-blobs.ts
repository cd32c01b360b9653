import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync, statSync, fsyncSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, gzipSync } from 'node:zlib';
import { OutpostError } from '../shared/errors';
import { FILE_HASH, hashOfHex, hexOf, type FileHash } from '../shared/files/wire';

/** What a stored file is on disk. */
export interface BlobInfo {
  hash: FileHash;
  /** the content's bytes */
  size: number;
  /** the bytes on disk (smaller when compressed) */
  storedSize: number;
  compressed: boolean;
}

/** the head of a file whose gzip decides whether the whole file is worth compressing */
const SAMPLE_BYTES = 256 * 1024;
/** compressed only when that saves at least this fraction */
const MIN_SAVING = 0.1;

/**
 * Content-addressed files on disk (`<root>/<2 hex>/<64 hex>`, `.gz` when compressed): written through a temporary
 * file, fsynced and renamed into place (a crash leaves the old state or the new, never a torn file), stored once
 * whatever number of records refer to them, and verified against their hash when read whole. Node-only: the node
 * and the sync worker both use it on the same folder (writes are atomic renames of whole files, so they never see
 * each other's half-written file).
 */
export class FileBlobs {
  private readonly tmp: string;

  constructor(readonly root: string) {
    this.tmp = join(root, 'tmp');
    mkdirSync(this.tmp, { recursive: true });
  }

  private pathOf(hash: string, compressed: boolean): string {
    const hex = hexOf(checkHash(hash));
    return join(this.root, hex.slice(0, 2), compressed ? `${hex}.gz` : hex);
  }

  /** How the file is stored here, or null when it is not here. */
  stat(hash: string): { storedSize: number; compressed: boolean } | null {
    checkHash(hash);
    for (const compressed of [false, true]) {
      try {
        return { storedSize: statSync(this.pathOf(hash, compressed)).size, compressed };
      } catch {
        // not in this form
      }
    }
    return null;
  }

  /**
   * Stores a stream's bytes under their hash. `maxBytes`: refused past it (payload_too_large) with nothing kept;
   * `expectedHash`: refused if the bytes hash to anything else (a download that came corrupt).
   */
  async put(source: Readable | AsyncIterable<Uint8Array>, options: { maxBytes?: number; expectedHash?: string } = {}): Promise<BlobInfo> {
    const maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
    const rawTmp = this.tmpPath();
    const hasher = createHash('sha256');
    let size = 0;
    const sample: Buffer[] = [];
    let sampled = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new OutpostError('payload_too_large', `The file is larger than the limit of ${maxBytes} bytes: nothing was stored.`));
        hasher.update(chunk);
        if (sampled < SAMPLE_BYTES) {
          const part = chunk.subarray(0, SAMPLE_BYTES - sampled);
          sample.push(Buffer.from(part));
          sampled += part.length;
        }
        done(null, chunk);
      },
    });
    try {
      await pipeline(source as Readable, meter, createWriteStream(rawTmp, { flags: 'wx', mode: 0o600 }));
      fsyncPath(rawTmp);
      const hash = hashOfHex(hasher.digest('hex'));
      if (options.expectedHash !== undefined && hash !== options.expectedHash) {
        throw new OutpostError('invalid_input', `The bytes received hash to ${hash}, not ${options.expectedHash}: the copy was corrupt and was not kept.`);
      }
      const existing = this.stat(hash);
      if (existing) return { hash, size, ...existing };
      const head = Buffer.concat(sample);
      let compressed = false;
      let storedTmp = rawTmp;
      let storedSize = size;
      if (head.length > 0 && gzipSync(head).length <= head.length * (1 - MIN_SAVING)) {
        const gzTmp = this.tmpPath();
        await pipeline(createReadStream(rawTmp), createGzip(), createWriteStream(gzTmp, { flags: 'wx', mode: 0o600 }));
        const gzSize = statSync(gzTmp).size;
        if (gzSize <= size * (1 - MIN_SAVING)) {
          fsyncPath(gzTmp);
          rmSync(rawTmp, { force: true });
          [compressed, storedTmp, storedSize] = [true, gzTmp, gzSize];
        } else rmSync(gzTmp, { force: true });
      }
      const target = this.pathOf(hash, compressed);
      mkdirSync(join(target, '..'), { recursive: true });
      renameSync(storedTmp, target);
      return { hash, size, storedSize, compressed };
    } finally {
      rmSync(rawTmp, { force: true });
    }
  }

  /**
   * The content's bytes, `start`..`end` inclusive when given. A whole read checks the hash as it goes: the stream
   * fails with a `corrupt` error at its end if the bytes on disk no longer match (a range cannot be checked).
   */
  read(hash: string, range?: { start: number; end: number }): Readable {
    const info = this.stat(hash);
    if (!info) throw new OutpostError('not_found', `File ${hash} is not stored on this node.`);
    const path = this.pathOf(hash, info.compressed);
    if (!info.compressed) return range ? createReadStream(path, range) : verified(createReadStream(path), hash);
    const plain = createReadStream(path).pipe(createGunzip());
    return range ? plain.pipe(slice(range.start, range.end)) : verified(plain, hash);
  }

  delete(hash: string): boolean {
    checkHash(hash);
    let removed = false;
    for (const compressed of [false, true]) {
      const path = this.pathOf(hash, compressed);
      try {
        statSync(path);
        rmSync(path, { force: true });
        removed = true;
      } catch {
        // not in this form
      }
    }
    return removed;
  }

  /** Temporary files left by a killed process. */
  sweepTemporary(): void {
    rmSync(this.tmp, { recursive: true, force: true });
    mkdirSync(this.tmp, { recursive: true });
  }

  private tmpPath(): string {
    return join(this.tmp, `${Date.now()}-${randomBytes(8).toString('hex')}`);
  }
}

export function checkHash(hash: unknown): FileHash {
  if (typeof hash !== 'string' || !FILE_HASH.test(hash)) {
    throw new OutpostError('invalid_input', `Invalid file hash ${JSON.stringify(String(hash).slice(0, 80))}: sha256: and 64 lowercase hex digits.`);
  }
  return hash as FileHash;
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Passes the bytes through and fails at the end when they do not hash to `hash`. */
function verified(source: Readable, hash: string): Readable {
  const hasher = createHash('sha256');
  const check = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hasher.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      const got = hashOfHex(hasher.digest('hex'));
      if (got === hash) return done();
      const error = new OutpostError('internal', `File ${hash} is damaged on disk (its bytes hash to ${got}): fetch it again from the hub.`);
      (error as OutpostError & { corrupt?: boolean }).corrupt = true;
      done(error);
    },
  });
  source.on('error', (e) => check.destroy(e));
  return source.pipe(check);
}

/** Bytes start..end (inclusive) of a stream. */
function slice(start: number, end: number): Transform {
  let at = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const from = Math.max(0, start - at);
      const to = Math.min(chunk.length, end + 1 - at);
      at += chunk.length;
      done(null, from < to ? chunk.subarray(from, to) : undefined);
    },
  });
}
