import { z } from 'zod';

/**
 * Files: content addressed by the SHA-256 of their bytes. A file's id is `sha256:<64 lowercase hex>`; URLs carry
 * the hex alone. The hub's file protocol (node token, like every /v1 route):
 *
 *   POST /v1/files/have                 {hashes: FileHash[]} -> {have: FileHash[]}   (complete on the hub: never upload those)
 *   GET  /v1/files/<hex>/status         -> FileUploadStatus                          (what a resumed upload still has to send)
 *   PUT  /v1/files/<hex>/chunks/<index> raw body (application/octet-stream), headers
 *                                       `x-outpost-file-size` (the whole file's bytes) and `x-outpost-chunk-sha256`
 *                                       (hex of this chunk's bytes) -> FileUploadStatus
 *                                       400 a chunk not matching its hash or not FILE_CHUNK_BYTES long (the last may be
 *                                       shorter), 409 a size other than the upload's, 413 a file over the hub's limit,
 *                                       429 the node's quota exceeded; a chunk already held is answered, not rewritten
 *   POST /v1/files/<hex>/complete       {size} -> {hash, size}: every chunk held and the whole content hashes to <hex>
 *                                       (else 409 with the missing chunks, or 400 and the upload discarded)
 *   GET  /v1/files/<hex>                the bytes, streamed; `Range: bytes=a-b` answers 206, an unsatisfiable one 416
 *
 * Chunks are fixed-size so a resumed upload (after a cut link or a killed worker or node) sends exactly the chunks
 * the hub does not hold, and so an S3 store can write each chunk as one multipart part (S3 parts are at least 5 MiB).
 */
export const FILE_HASH = /^sha256:[0-9a-f]{64}$/;
export const FILE_HEX = /^[0-9a-f]{64}$/;
export const FILE_CHUNK_BYTES = 8 * 1024 * 1024;
export const FILE_SIZE_HEADER = 'x-outpost-file-size';
export const CHUNK_HASH_HEADER = 'x-outpost-chunk-sha256';
/** hashes one `have` request may ask about */
export const MAX_HAVE = 1000;

export const fileHashSchema = z.string().regex(FILE_HASH, 'a file hash is sha256: and 64 lowercase hex digits');
export type FileHash = `sha256:${string}`;
export const fileSizeSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const haveRequestSchema = z.object({ hashes: z.array(fileHashSchema).max(MAX_HAVE) }).strict();
export const haveResponseSchema = z.object({ have: z.array(fileHashSchema).max(MAX_HAVE) }).strict();

export const fileUploadStatusSchema = z
  .object({
    hash: fileHashSchema,
    state: z.enum(['absent', 'partial', 'complete']),
    /** the upload's declared size (null while absent) */
    size: fileSizeSchema.nullable(),
    /** indexes of the chunks the hub holds, ascending */
    chunks: z.array(z.number().int().min(0)).max(1_000_000),
  })
  .strict();
export type FileUploadStatus = z.infer<typeof fileUploadStatusSchema>;

export const completeRequestSchema = z.object({ size: fileSizeSchema }).strict();
export const completeResponseSchema = z.object({ hash: fileHashSchema, size: fileSizeSchema }).strict();

/** How many chunks a file of `size` bytes has (an empty file has one, empty). */
export const chunkCount = (size: number): number => Math.max(1, Math.ceil(size / FILE_CHUNK_BYTES));
/** The byte length chunk `index` of a file of `size` bytes must have. */
export function chunkLength(size: number, index: number): number {
  const start = index * FILE_CHUNK_BYTES;
  return Math.max(0, Math.min(FILE_CHUNK_BYTES, size - start));
}
export const hexOf = (hash: string): string => hash.slice('sha256:'.length);
export const hashOfHex = (hex: string): FileHash => `sha256:${hex}`;
