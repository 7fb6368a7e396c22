/**
 * What a keyspace pass acts on: rules (a glob, the condition a key must meet at action time, and
 * the target it is credited to), compiled once into the SCAN MATCH filter the server applies
 * natively and the anchored Lua patterns the step script tests each key against (first rule wins).
 */
import { commonPrefix } from '../buffers.js';
import { compileGlob, escapeGlob, globToLua, isMatchAll, literalPrefix, tokenize, type GlobToken } from '../glob.js';
import type { ScriptArg } from '../scripts/index.js';
import type { Condition } from '../selection.js';

export interface PassRule {
  /** Index of the target (see `KeyspaceRun.addTarget`) the rule's keys are credited to. */
  target: number;
  pattern: Buffer;
  condition: Condition;
}

export interface CompiledRules {
  /** The rules that can match a key (a rule whose pattern has an empty class can not). */
  rules: PassRule[];
  /** SCAN MATCH filter for the pass (undefined: every key). */
  match: Buffer | undefined;
  /** The rules as keyspace-step arguments: R, then six per rule. */
  args: ScriptArg[];
  /** Index (in `rules`) of the first rule a key matches, -1 when none (client-side paths). */
  ruleOf(key: Buffer): number;
}

/**
 * Compile rules for one pass. With one rule the server's MATCH does all the matching. With
 * `native: false` no MATCH filter is used at all (every key is examined and counted: sampling).
 */
export function compileRules(input: readonly PassRule[], options: { native?: boolean } = {}): CompiledRules {
  const rules = input.filter((rule) => isMatchAll(rule.pattern) || globToLua(rule.pattern) !== undefined);
  const matchers = rules.map((rule) => compileGlob(rule.pattern));
  const ruleOf = (key: Buffer) => matchers.findIndex((matches) => matches(key));
  let match: Buffer | undefined;
  let shapes: Array<[string, Buffer | '']>;
  if (options.native !== false && rules.length === 1) {
    const only = rules[0]!.pattern;
    match = isMatchAll(only) ? undefined : only;
    shapes = [['any', '']];
  } else {
    if (options.native !== false) {
      const prefix = commonPrefix(rules.map((rule) => literalPrefix(rule.pattern)));
      match = prefix.length > 0 ? Buffer.concat([escapeGlob(prefix), Buffer.from('*')]) : undefined;
    }
    shapes = rules.map((rule) => shapeOf(rule.pattern));
  }
  const args: ScriptArg[] = [rules.length];
  rules.forEach((rule, i) => args.push(...shapes[i]!, ...conditionArgs(rule.condition)));
  return { rules, match, args, ruleOf };
}

/**
 * How the step script tests a pattern: `exact` / `prefix` / `suffix` by table lookup (the literal
 * bytes), `any` for `*`, else `glob` with the anchored Lua translation.
 */
export function shapeOf(pattern: Buffer): [string, Buffer | ''] {
  if (isMatchAll(pattern)) return ['any', ''];
  const tokens = tokenize(pattern);
  const literal = (list: GlobToken[]) => Buffer.from(list.map((t) => (t.kind === 'literal' ? t.byte : 0)));
  const allLiteral = (list: GlobToken[]) => list.every((t) => t.kind === 'literal');
  if (allLiteral(tokens)) return ['exact', literal(tokens)];
  const last = tokens.length - 1;
  if (tokens[last]!.kind === 'star' && allLiteral(tokens.slice(0, last))) return ['prefix', literal(tokens.slice(0, last))];
  if (tokens[0]!.kind === 'star' && allLiteral(tokens.slice(1))) return ['suffix', literal(tokens.slice(1))];
  return ['glob', globToLua(pattern)!];
}

/** mode, threshold, now, field of a condition, as the step script reads them. */
export function conditionArgs(condition: Condition): [string, number, number, string] {
  if (condition.mode === 'all') return ['all', 0, 0, ''];
  if (condition.mode === 'idle') return ['idle', condition.seconds, 0, ''];
  if (condition.mode === 'ttl') return [`ttl-${condition.apply}`, Math.round(condition.ttlMs), Math.round(condition.jitter * 1_000_000), ''];
  return ['field', Math.round(condition.maxAgeMs), Math.round(condition.now), condition.field];
}
