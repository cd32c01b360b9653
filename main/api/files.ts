import { Readable } from 'node:stream';
import type { Handlers } from '../../shared/api/index';
import type { FileService } from '../files/service';

type FileMethods = 'files.list' | 'files.stat' | 'files.stats' | 'files.pin' | 'files.delete' | 'files.put';

/** files.*: thin over the file service (the HTTP transport streams bytes itself: main/transport/http-files.ts). */
export function fileHandlers(deps: { files: FileService }): Pick<Handlers, FileMethods> {
  const { files } = deps;
  return {
    'files.list': (input) => files.list(input),
    'files.stat': ({ hash }) => files.stat(hash),
    'files.stats': () => files.stats(),
    'files.pin': ({ hash, pinned }) => files.pin(hash, pinned),
    'files.delete': ({ hash }) => files.delete(hash),
    'files.put': ({ name, mediaType, bytes }) => files.put(Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]), { name, mediaType }),
  };
}
