/**
 * Contexts: named servers in the config file (`staging`, `production`), chosen with
 * `--context NAME` / CACHECTL_CONTEXT or the file's `currentContext`. A context brings its URL,
 * TLS settings and tenant; `production: true` makes every destructive run confirm (on a terminal
 * by typing the context's name). Server URL precedence: `--redis-url` > context > REDIS_URL >
 * `redis.url`.
 */
import { z } from 'zod';
import { UsageError } from '../errors.js';

const contextName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'context names are letters, digits, ".", "_" and "-"');

export const contextSchema = z
  .object({
    /** Server URL, as `redis.url`. */
    url: z.string().min(1),
    description: z.string().optional(),
    /** As `redis.tls` (a relative `ca` means next to the config file). */
    tls: z
      .object({ ca: z.string().optional(), insecure: z.boolean().default(false) })
      .strict()
      .optional(),
    cluster: z.union([z.boolean(), z.literal('auto')]).optional(),
    /** Restrict tenant-scoped commands to this tenant, as `--tenant` does (the flag wins). */
    tenant: z
      .string()
      .regex(/^[^\s:*?[\]\\]+$/, 'a tenant id is one namespace segment (no ":", spaces or glob characters)')
      .optional(),
    /** Destructive runs always confirm; on a terminal by typing the context's name. */
    production: z.boolean().default(false),
  })
  .strict();

export const contextsSchema = z.record(contextName, contextSchema).default({});

export type ContextConfig = z.output<typeof contextSchema>;

/** How the context in use was chosen. */
export type ContextSource = 'flag' | 'env' | 'config';

/** The context a run uses, as the rest of cachectl sees it. */
export interface SelectedContext extends ContextConfig {
  name: string;
  source: ContextSource;
}

/** `currentContext` names a context, and never a production one: that must be named each time. */
export function checkCurrentContext(config: { contexts: Record<string, ContextConfig>; currentContext?: string | undefined }, ctx: z.RefinementCtx): void {
  const name = config.currentContext;
  if (name === undefined) return;
  const context = Object.hasOwn(config.contexts, name) ? config.contexts[name] : undefined;
  if (!context) {
    ctx.addIssue({ code: 'custom', path: ['currentContext'], message: `no context named "${name}" (contexts: ${knownNames(config.contexts)})` });
  } else if (context.production) {
    ctx.addIssue({
      code: 'custom',
      path: ['currentContext'],
      message: `"${name}" is a production context: it cannot be the default, choose it with --context ${name} or CACHECTL_CONTEXT`,
    });
  }
}

/** The requested context from the raw file settings; unknown → exit 2 naming the known ones. */
export function pickContext(
  raw: { contexts?: unknown; currentContext?: unknown },
  requested: string | undefined,
): { name: string; raw: Record<string, unknown> } | undefined {
  const name = requested ?? (typeof raw.currentContext === 'string' ? raw.currentContext : undefined);
  if (name === undefined || name === '') return undefined;
  const contexts = raw.contexts && typeof raw.contexts === 'object' ? (raw.contexts as Record<string, unknown>) : {};
  const found = Object.hasOwn(contexts, name) ? contexts[name] : undefined;
  if (found && typeof found === 'object') return { name, raw: found as Record<string, unknown> };
  if (requested === undefined) return undefined; // a bad currentContext is reported by the schema
  const names = Object.keys(contexts);
  throw new UsageError(`Unknown context "${name}"`, {
    hint:
      names.length > 0
        ? `known contexts: ${names.join(', ')} (see "cachectl config contexts")`
        : 'the config file defines no contexts: add them under "contexts"',
  });
}

function knownNames(contexts: Record<string, unknown>): string {
  const names = Object.keys(contexts);
  return names.length > 0 ? names.join(', ') : 'none';
}
