import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OutpostError, errorBody, httpStatusOf } from '../../shared/errors';
import { parseRange } from '../../lib/http-range';
import type { FileService } from '../files/service';

const NAME_HEADER = 'x-outpost-file-name';

/**
 * The node's binary file routes, under the same token, Host and Origin rules as /api/<method> (`guard`):
 *   PUT /api/files          raw body, streamed to disk (never buffered); name in `x-outpost-file-name`
 *                           (percent-encoded), media type in Content-Type -> FileInfo; 413 past files.maxFileBytes
 *   GET /api/files/<hash>   the bytes, streamed; Range: one range answers 206, an unsatisfiable one 416
 * Registered in its own scope, whose only body parser hands the raw stream to the handler.
 */
export function fileRoutes(files: FileService, guard: (req: FastifyRequest, reply: FastifyReply) => FastifyReply | null) {
  return async (scope: FastifyInstance): Promise<void> => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

    scope.put('/api/files', async (req, reply) => {
      const refused = guard(req, reply);
      if (refused) {
        req.raw.resume(); // drain what the client sends: the answer is already decided
        return refused;
      }
      try {
        const name = decodeName(req.headers[NAME_HEADER]);
        const mediaType = typeof req.headers['content-type'] === 'string' ? req.headers['content-type'] : undefined;
        const info = await files.put(req.raw, { name, mediaType });
        return reply.code(200).send(info);
      } catch (error) {
        req.raw.resume();
        return sendError(reply, error);
      }
    });

    scope.get<{ Params: { hash: string } }>('/api/files/:hash', async (req, reply) => {
      const refused = guard(req, reply);
      if (refused) return refused;
      try {
        const info = files.stat(decodeURIComponent(req.params.hash));
        const range = parseRange(typeof req.headers.range === 'string' ? req.headers.range : undefined, info.size);
        if (range === 'unsatisfiable') {
          return reply.code(416).header('Content-Range', `bytes */${info.size}`).send(errorBody('invalid_input', `The range is outside the file's ${info.size} bytes (one range per request).`));
        }
        const { stream } = files.read(info.hash, range ?? undefined);
        reply.header('Content-Type', info.mediaType).header('Accept-Ranges', 'bytes').header('ETag', `"${info.hash}"`);
        reply.header('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(info.name)}`);
        if (range) {
          reply.code(206).header('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`).header('Content-Length', String(range.end - range.start + 1));
        } else reply.code(200).header('Content-Length', String(info.size));
        return reply.send(stream);
      } catch (error) {
        return sendError(reply, error);
      }
    });
  };
}

function decodeName(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string') throw new OutpostError('invalid_input', `Give ${NAME_HEADER} once.`);
  try {
    return decodeURIComponent(header);
  } catch {
    throw new OutpostError('invalid_input', `${NAME_HEADER} must be percent-encoded UTF-8.`);
  }
}

function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof OutpostError) return reply.code(httpStatusOf(error.code)).send(errorBody(error.code, error.message));
  throw error;
}
