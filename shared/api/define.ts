import type { z } from 'zod';

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
