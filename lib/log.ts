import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const SECRET_KEY = /token|password|secret|authorization|cookie|credential/i;
const SECRET_TEXT = /(Bearer\s+|token=|:\/\/[^/\s:@]+:)[A-Za-z0-9._~+/=-]{6,}/g;

/** Removes secrets from log fields and messages: tokens never reach a log file. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(SECRET_TEXT, '$1[redacted]');
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: redact(value.message), code: (value as { code?: unknown }).code };
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

/** JSON lines to stderr and, when given, to a file rotated at `maxBytes` (one previous file kept). */
export function createLogger(options: { file?: string; level?: LogLevel; maxBytes?: number; quiet?: boolean } = {}): Logger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  const min = order.indexOf(options.level ?? 'info');
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  if (options.file) mkdirSync(dirname(options.file), { recursive: true });
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (order.indexOf(level) < min) return;
    const line = JSON.stringify({ t: new Date().toISOString(), level, msg: redact(msg), ...(fields ? (redact(fields) as object) : {}) });
    if (!options.quiet) process.stderr.write(line + '\n');
    if (options.file) {
      try {
        if ((statSync(options.file, { throwIfNoEntry: false })?.size ?? 0) > maxBytes) renameSync(options.file, options.file + '.1');
        appendFileSync(options.file, line + '\n');
      } catch {
        // a full disk must not take the node down through its logger
      }
    }
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
