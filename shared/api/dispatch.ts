import { contract, isMethodName, type CallContext, type Handlers } from './index';
import { OutpostError, toErrorShape, type ErrorShape } from '../errors';
import { findUnsafeJson } from '../sync/json-safety';

/** The envelope both transports carry, so error codes survive Electron's IPC (which flattens thrown errors). */
export type Envelope = { ok: true; value: unknown } | { ok: false; error: ErrorShape };

/**
 * Validates a call against the contract and runs its handler. Both transports call this and nothing else,
 * so validation and error mapping are written once.
 */
export async function dispatch(
  handlers: Handlers,
  method: unknown,
  input: unknown,
  ctx: CallContext,
  onError?: (error: unknown, method: string) => void,
): Promise<Envelope> {
  try {
    if (!isMethodName(method)) {
      throw new OutpostError('not_found', `Unknown method ${JSON.stringify(String(method).slice(0, 100))}.`);
    }
    // The hub refuses deep nesting, NUL and lone surrogates; a node accepting them would store a write that can
    // never sync (and overflow zod's recursion, or have SQLite silently replace the surrogates).
    const unsafe = findUnsafeJson(input);
    if (unsafe) throw new OutpostError('invalid_input', `Invalid input for ${method}: ${unsafe}.`);
    const parsed = contract[method].input.safeParse(input ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'input'}: ${i.message}`);
      throw new OutpostError('invalid_input', `Invalid input for ${method}: ${issues.join('; ')}`, {
        issues: parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.map(String), message: i.message })),
      });
    }
    const handler = handlers[method] as (input: unknown, ctx: CallContext) => unknown;
    return { ok: true, value: await handler(parsed.data, ctx) };
  } catch (error) {
    const shape = toErrorShape(error);
    if (shape.code === 'internal' || shape.code === 'storage_full') onError?.(error, String(method));
    return { ok: false, error: shape };
  }
}
