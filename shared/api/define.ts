import { z } from 'zod';

/**
 * One method of the API: a runtime input schema and a compile-time result type. Transports are generated from
 * the contract, so a method is declared once here and nowhere else.
 */
export interface MethodDef<I extends z.ZodType = z.ZodType, O = unknown> {
  readonly input: I;
  /** phantom: carries the result type only */
  readonly output?: O;
}

export function method<I extends z.ZodType>(input: I) {
  return {
    returns<O>(): MethodDef<I, O> {
      return { input };
    },
  };
}

/** An event main pushes to the UI: a name and a payload type. */
export interface EventDef<P = unknown> {
  readonly payload?: P;
}
export function event<P>(): EventDef<P> {
  return {};
}

/** The paging fields of every list method: an offset (bounded: a hostile one costs a scan) and a page size. */
export function paging(defaultLimit = 100) {
  return {
    offset: z.number().int().min(0).max(10_000_000).default(0),
    limit: z.number().int().min(1).max(1000).default(defaultLimit),
  };
}
