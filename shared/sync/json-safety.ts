/**
 * Checks a parsed JSON body (hub requests, node API calls) before schema validation: bounded nesting (deep recursion must not reach zod or
 * PostgreSQL), and only strings PostgreSQL's jsonb accepts (no NUL character, no lone UTF-16 surrogate).
 * Returns a description of the first problem, or null.
 */
export function findUnsafeJson(value: unknown, maxDepth = 64): string | null {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = unsafeString(v);
      if (problem) return problem;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return `the body is nested deeper than ${maxDepth} levels`;
    if (Array.isArray(v)) {
      for (const item of v) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const [key, item] of Object.entries(v)) {
      const problem = unsafeString(key);
      if (problem) return `a field name: ${problem}`;
      // schemas rebuild objects with plain assignment, where this key would vanish (or set a prototype)
      if (key === '__proto__') return 'a field may not be named __proto__';
      stack.push({ value: item, depth: depth + 1 });
    }
  }
  return null;
}

// In a /u regex a paired surrogate is one code point, so only lone halves match the surrogate category.
const LONE_SURROGATE = /\p{Cs}/u;

function unsafeString(s: string): string | null {
  if (s.includes('\u0000')) return 'strings may not contain the NUL character';
  if (LONE_SURROGATE.test(s)) return 'strings must be valid Unicode (a lone surrogate was found)';
  return null;
}
