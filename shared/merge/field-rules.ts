import { tableDecls } from '../tables/index';

/**
 * Field rules: which strategy decides a field that both sides changed, and how much to trust it (the weight).
 * A rule's `field` is a dotted path where `*` matches exactly one segment (`config.*` matches `config.model`,
 * not `config` itself). The most specific matching rule wins (more literal segments), then the first listed.
 */
export type FieldStrategy = 'lww' | 'local' | 'remote' | 'merge' | 'local-if-active';

export interface FieldRule {
  field: string;
  strategy: FieldStrategy;
  weight: number;
}

/** The rules a table uses under the `rules` strategy when the settings list none: its declaration's. */
export const defaultRules: Record<string, readonly FieldRule[]> = Object.fromEntries(
  Object.values(tableDecls).map((decl) => [decl.table, decl.mergeRules]),
);

/** Statuses in which a record counts as active on this node (the `local-if-active` condition). */
export const activeStatuses: ReadonlySet<string> = new Set(['active', 'running', 'processing', 'critical']);

export function patternMatches(pattern: string, path: string): boolean {
  const want = pattern.split('.');
  const have = path.split('.');
  if (want.length !== have.length) return false;
  return want.every((segment, i) => segment === '*' || segment === have[i]);
}

const specificity = (pattern: string): number => pattern.split('.').filter((s) => s !== '*').length;

/** Builds a lookup from a rule list; the result is cached per path since the same paths recur across records. */
export function ruleLookup(rules: readonly FieldRule[]): (path: string) => FieldRule | undefined {
  const cache = new Map<string, FieldRule | undefined>();
  return (path) => {
    if (cache.has(path)) return cache.get(path);
    let best: FieldRule | undefined;
    for (const rule of rules) {
      if (!patternMatches(rule.field, path)) continue;
      if (!best || specificity(rule.field) > specificity(best.field)) best = rule;
    }
    cache.set(path, best);
    return best;
  };
}
