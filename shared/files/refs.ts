import { z } from 'zod';
import { fileHashSchema, fileSizeSchema, type FileHash } from './wire';

/**
 * A record's reference to a file (an agent's attachment, an execution's output): the content's hash plus what a
 * node needs before it holds the bytes (size for the download policy, name and media type to show). The file's
 * reference count is the number of live records whose file fields name its hash.
 */
export const MAX_FILE_REFS = 100;
export const FILE_NAME_MAX = 255;
export const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

export const fileRefSchema = z
  .object({
    hash: fileHashSchema,
    name: z.string().min(1).max(FILE_NAME_MAX),
    size: fileSizeSchema,
    mediaType: z.string().regex(MEDIA_TYPE, 'a media type such as text/plain'),
  })
  .strict();
export type FileRef = { hash: FileHash; name: string; size: number; mediaType: string };
export const fileRefsSchema = z.array(fileRefSchema).max(MAX_FILE_REFS);
