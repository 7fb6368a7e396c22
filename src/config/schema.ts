/**
 * The configuration schema: one place for every setting, its type and its default.
 * `cachectl.config.example.json` documents the same fields for users.
 */
import { z } from 'zod';
import { parseTemplate } from './template.js';

const hostPort = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, 'expected "host:port"');

const template = z.string().superRefine((value, ctx) => {
  try {
    parseTemplate(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const positiveInt = z.number().int().positive();

export const familySchema = z
  .object({
    /** Key template, e.g. `tenant:{tenant}:mapping:conv:{conversationId}`. */
    template,
    description: z.string().optional(),
    /** The placeholder that holds a user's phone/id: `clear-user` removes this family's keys. */
    user: z.string().optional(),
    /** How user ids appear in keys: `e164` (+27…), `digits` (27…), or `any` (both are tried). */
    userFormat: z.enum(['e164', 'digits', 'any']).default('any'),
    /** Expected TTL of entries; keys without TTL are flagged by `stats` and `doctor`. */
    ttlSeconds: positiveInt.optional(),
    /** Age after which `clear-old` and `maintenance` remove an entry (default: maintenance.hours). */
    maxAgeHours: z.number().positive().optional(),
    /** Age from a timestamp in the value (hash field or JSON property) instead of idle time. */
    ageField: z.string().min(1).optional(),
    /** `hook pre-deploy` / `hook deploy` clear this family. */
    clearOnDeploy: z.boolean().default(false),
  })
  .strict()
  .superRefine((family, ctx) => {
    const placeholders = parseSafe(family.template);
    if (family.user !== undefined && placeholders && !placeholders.includes(family.user)) {
      ctx.addIssue({
        code: 'custom',
        path: ['user'],
        message: `"${family.user}" is not a placeholder of the template (${placeholders.join(', ') || 'none'})`,
      });
    }
  });

function parseSafe(value: string): string[] | undefined {
  try {
    return parseTemplate(value).placeholders;
  } catch {
    return undefined;
  }
}

export const configSchema = z
  .object({
    redis: z
      .object({
        url: z.string().default('redis://127.0.0.1:6379'),
        /** `auto` detects `cluster_enabled:1` on the server. */
        cluster: z.union([z.boolean(), z.literal('auto')]).default('auto'),
        sentinels: z.array(hostPort).default([]),
        sentinelName: z.string().optional(),
        tls: z
          .object({ ca: z.string().optional(), insecure: z.boolean().default(false) })
          .strict()
          .default({ insecure: false }),
        connectTimeoutMs: positiveInt.default(5000),
        commandTimeoutMs: positiveInt.default(15000),
      })
      .strict()
      .prefault({}),
    /** Tenants whose namespaces `{tenant}` enumerates (exact keys, no scan). `default` is always included. */
    tenants: z.array(z.string().min(1).regex(/^[^\s*?[\]\\]+$/, 'no spaces or glob characters')).default([]),
    families: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'family names are identifiers'), z.union([familySchema, z.literal(false)])).default({}),
    queues: z
      .object({
        /** BullMQ key prefixes. Keys under them are never touched by cache commands. */
        prefixes: z.array(z.string().min(1)).default(['bull']),
        completedRetentionHours: z.number().positive().default(24),
        failedRetentionHours: z.number().positive().default(168),
        eventsMaxLen: positiveInt.default(10000),
      })
      .strict()
      .prefault({}),
    maintenance: z
      .object({
        hours: z.number().positive().default(24),
        schedule: z.string().default('0 2 * * *'),
        timezone: z.string().default('UTC'),
        lockTtlSeconds: positiveInt.default(60),
      })
      .strict()
      .prefault({}),
    safety: z
      .object({
        /** On a terminal, ask before deleting more keys than this. */
        confirmAbove: z.number().int().nonnegative().default(1000),
      })
      .strict()
      .prefault({}),
    scan: z
      .object({
        count: positiveInt.max(100000).default(1000),
        batch: positiveInt.max(100000).default(500),
      })
      .strict()
      .prefault({}),
    logs: z
      .object({ dir: z.string().default('logs') })
      .strict()
      .prefault({}),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type FamilyConfig = z.output<typeof familySchema>;
