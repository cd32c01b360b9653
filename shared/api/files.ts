import { z } from 'zod';
import { method, paging } from './define';
import { fileStates, type FileInfo, type FileStats } from '../domain/files';
import type { Page } from '../domain/records';
import { FILE_NAME_MAX } from '../files/refs';
import { fileHashSchema } from '../files/wire';

/** Bytes one `files.put` carries over IPC; larger files go by path (desktop) or `PUT /api/files` (HTTP, streamed). */
export const MAX_PUT_BYTES = 64 * 1024 * 1024;

const hashOnly = z.object({ hash: fileHashSchema }).strict();

/**
 * The node's files (content-addressed; records refer to them by hash, shared/files/refs.ts). Bytes never travel
 * in JSON over HTTP: the headless node serves `PUT /api/files` (raw body; name in `x-outpost-file-name`,
 * percent-encoded; media type in Content-Type) answering FileInfo, and `GET /api/files/<hash>` (streamed, Range).
 * Over IPC the desktop passes the bytes (`files.put`).
 */
export const fileMethods = {
  'files.list': method(z.object({ state: z.enum(fileStates).optional(), ...paging() }).strict()).returns<Page<FileInfo>>(),
  'files.stat': method(hashOnly).returns<FileInfo>(),
  'files.stats': method(z.object({}).strict()).returns<FileStats>(),
  /** a pinned file is never collected or evicted */
  'files.pin': method(z.object({ hash: fileHashSchema, pinned: z.boolean() }).strict()).returns<FileInfo>(),
  /** refused (conflict) while a record refers to it */
  'files.delete': method(hashOnly).returns<{ hash: string; deleted: true }>(),
  'files.put': method(
    z
      .object({
        name: z.string().min(1).max(FILE_NAME_MAX),
        mediaType: z.string().max(255).optional(),
        bytes: z.instanceof(Uint8Array, { message: 'bytes must be binary (Uint8Array): over HTTP, PUT /api/files instead' }).refine((b) => b.byteLength <= MAX_PUT_BYTES, {
          message: `at most ${MAX_PUT_BYTES} bytes per call: larger files go by PUT /api/files`,
        }),
      })
      .strict(),
  ).returns<FileInfo>(),
};
