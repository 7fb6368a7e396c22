/**
 * The configuration schema: one place for every setting, its type and its default.
 * `cachectl.config.example.json` documents the same fields for users.
 */
import { z } from 'zod';
import { checkCurrentContext, contextsSchema } from './contexts.js';
import { parseTemplate } from './template.js';

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected "host:port"');

const template = z.string().superRefine((value, ctx) => {
  try {
    parseTemplate(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const positiveInt = z.number().int().positive();

/**
 * Read-through settings of a family. With `leases` (the default) a miss stores a short-lived lease
 * marker in the key before the loader runs and the fill succeeds only while that marker is still
 * there, so an invalidation during the load wins; every program that reads the family must then
 * read it through the library (a plain GET could see the marker). `leases: false` is a plain
 * GET / loader / SET.
 */
export const readThroughSchema = z
  .object({
    leases: z.boolean().default(true),
    /** Lifetime of a lease: a loader slower than this never fills (its fill is refused). */
    leaseMs: positiveInt.max(3_600_000).default(10_000),
    /** How long a reader waits for another reader's lease to turn into a value before loading itself without filling. */
    waitMs: z.number().int().nonnegative().max(3_600_000).default(1_000),
  })
  .strict();

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
    /**
     * Cover tenant namespaces that `tenants` does not list: every path (invalidate, clear-user,
     * listen's rules, the library) selects `tenant:*:…` in one shared SCAN pass instead of the
     * exact keys of the listed tenants. Only for templates with a `{tenant}` placeholder.
     */
    scanTenants: z.boolean().default(false),
    /** How the library's read-through (`createReader`, `CacheManager.read`) fills this family (see readThroughSchema). */
    readThrough: readThroughSchema.optional(),
  })
  .strict()
  .superRefine((family, ctx) => {
    const placeholders = parseSafe(family.template);
    if (family.scanTenants && placeholders && !placeholders.includes('tenant')) {
      ctx.addIssue({ code: 'custom', path: ['scanTenants'], message: 'the template has no {tenant} placeholder' });
    }
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

// --- invalidation (event-driven invalidation: `listen`, `publish`, createInvalidator) ---------

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One rule: events of type `event` invalidate `family` with placeholders filled from event fields. */
export const invalidationRuleSchema = z
  .object({
    /** Event type, e.g. `planning.story.transitioned`. */
    event: z.string().regex(/^[^\s]{1,200}$/, 'an event type is one word without spaces'),
    /** Family (or families) to invalidate. */
    family: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** Placeholder → event field (a top-level field name, or a dotted path such as `story.id`). */
    map: z
      .record(z.string().regex(identifier, 'placeholder names are identifiers'), z.string().min(1))
      .refine((map) => Object.keys(map).length > 0, 'map at least one placeholder to an event field'),
    description: z.string().optional(),
  })
  .strict();

/** Rules used when the config has no `invalidation.rules` (minus rules whose family was removed). */
export const DEFAULT_INVALIDATION_RULES: Array<z.input<typeof invalidationRuleSchema>> = [
  { event: 'planning.story.transitioned', family: 'context', map: { storyId: 'story_id' } },
  { event: 'whatsapp.message', family: 'chatList', map: { deviceId: 'deviceId' } },
  {
    event: 'conversation.correlated',
    family: ['convMapping', 'waMapping'],
    map: { conversationId: 'conversationId', waId: 'waId' },
  },
];

const invalidationSchema = z
  .object({
    /** Stream `publish` appends to and `listen` consumes (default `<namespace>:invalidations`). */
    stream: z.string().min(1).optional(),
    /** Approximate cap of the stream (XADD MAXLEN ~). */
    maxLen: positiveInt.default(100000),
    /** Also PUBLISH each event on this pub/sub channel (for in-memory caches). Off by default. */
    channel: z.string().min(1).optional(),
    group: z.string().min(1).default('cachectl'),
    /** Consumer name; default `<host>-<pid>` (`<host>-pm2-<pm_id>` under PM2). */
    consumer: z.string().min(1).optional(),
    /** Pending entries idle this long (a dead consumer's) are reclaimed with XAUTOCLAIM. */
    claimIdleMs: positiveInt.default(30000),
    /** After this many failed deliveries an entry moves to the dead-letter stream. */
    maxAttempts: positiveInt.max(1000).default(5),
    /** Where entries that cannot succeed go (default `<namespace>:invalidations:dead`). */
    deadLetterStream: z.string().min(1).optional(),
    /** Entries per XREADGROUP. */
    batch: positiveInt.max(10000).default(100),
    /** XREADGROUP BLOCK time. */
    blockMs: positiveInt.default(2000),
    /**
     * SCAN COUNT of the coalesced pattern passes. Larger than scan.count: a pass sends a MATCH,
     * so each call returns little, and fewer round trips shorten the pass; each call stays ~1-2 ms
     * of server time (exact events wait behind it).
     */
    scanCount: positiveInt.max(100000).default(2000),
    /** Absent: the default rules (see DEFAULT_INVALIDATION_RULES). */
    rules: z.array(invalidationRuleSchema).optional(),
  })
  .strict()
  .prefault({});

/** Each configured rule must name existing families and their placeholders (checked at load). */
function checkInvalidationRules(
  config: { families: Record<string, { template: string } | false>; invalidation: { rules?: Array<z.output<typeof invalidationRuleSchema>> | undefined } },
  ctx: z.RefinementCtx,
): void {
  const known = Object.entries(config.families).flatMap(([name, family]) => (family === false ? [] : [name]));
  (config.invalidation.rules ?? []).forEach((rule, index) => {
    const label = `rule ${index + 1} (${rule.event})`;
    const path = ['invalidation', 'rules', index];
    const families = Array.isArray(rule.family) ? rule.family : [rule.family];
    const placeholders = new Map<string, string[]>();
    for (const name of families) {
      const family = Object.hasOwn(config.families, name) ? config.families[name] : undefined;
      if (!family) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'family'],
          message: `${label}: family "${name}" does not exist (families: ${known.join(', ') || 'none'})`,
        });
        continue;
      }
      const names = parseSafe(family.template);
      if (names) placeholders.set(name, names);
    }
    if (placeholders.size !== families.length) return;
    for (const key of Object.keys(rule.map)) {
      if (![...placeholders.values()].some((names) => names.includes(key))) {
        ctx.addIssue({ code: 'custom', path: [...path, 'map', key], message: `${label}: "{${key}}" is not a placeholder of ${families.join(' or ')}` });
      }
    }
    for (const [name, names] of placeholders) {
      if (names.length > 0 && !names.some((p) => p in rule.map)) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'map'],
          message: `${label}: maps no placeholder of family "${name}" (${names.join(', ')}); that would invalidate the whole family`,
        });
      }
    }
  });
}

/** Tenant policies name existing families whose keys live under `tenant:{tenant}:`. */
function checkTenantPolicies(
  config: { families: Record<string, { template: string } | false>; tenantPolicies: Record<string, { families: Record<string, unknown> }> },
  ctx: z.RefinementCtx,
): void {
  for (const [tenant, policy] of Object.entries(config.tenantPolicies)) {
    for (const name of Object.keys(policy.families)) {
      const family = config.families[name];
      const path = ['tenantPolicies', tenant, 'families', name];
      if (!family) ctx.addIssue({ code: 'custom', path, message: `family "${name}" does not exist` });
      else if (!family.template.startsWith('tenant:{tenant}:'))
        ctx.addIssue({
          code: 'custom',
          path,
          message: `family "${name}" (${family.template}) is not tenant-scoped (its template must start with tenant:{tenant}:)`,
        });
    }
  }
}

/**
 * Keys under a queue prefix or cachectl's own namespace are never touched by cache commands, so a
 * family whose keys would live there could never be cleared, and two reserved streams must differ:
 * refuse such a configuration at load instead of surprising later.
 */
function checkProtectedNamespaces(
  config: {
    namespace: string;
    families: Record<string, { template: string } | false>;
    queues: { prefixes: string[] };
    invalidation: { stream?: string | undefined; deadLetterStream?: string | undefined };
  },
  ctx: z.RefinementCtx,
): void {
  const protectedPrefixes = [
    ...config.queues.prefixes.map((p) => ({ prefix: `${p}:`, what: `queue prefix "${p}"` })),
    { prefix: `${config.namespace}:`, what: `cachectl's own namespace "${config.namespace}"` },
  ];
  for (const [name, family] of Object.entries(config.families)) {
    if (family === false) continue;
    const literal = literalStart(family.template);
    const hit = protectedPrefixes.find((p) => literal.startsWith(p.prefix));
    if (hit) {
      ctx.addIssue({
        code: 'custom',
        path: ['families', name, 'template'],
        message: `family "${name}" (${family.template}) lies under ${hit.what}, whose keys cache commands never touch`,
      });
    }
  }
  const stream = config.invalidation.stream ?? `${config.namespace}:invalidations`;
  const dead = config.invalidation.deadLetterStream ?? `${config.namespace}:invalidations:dead`;
  if (stream === dead) ctx.addIssue({ code: 'custom', path: ['invalidation', 'deadLetterStream'], message: 'deadLetterStream must differ from stream' });
}

/** The template's literal text before its first placeholder ('' when unparsable: reported elsewhere). */
function literalStart(template: string): string {
  try {
    const first = parseTemplate(template).parts[0];
    return first?.kind === 'literal' ? first.text : '';
  } catch {
    return '';
  }
}

export const configSchema = z
  .object({
    /**
     * Prefix of cachectl's own keys: the maintenance lock and run records, the invalidation and
     * dead-letter streams live under `<namespace>:`. Cache commands never touch them.
     */
    namespace: z
      .string()
      .min(1)
      .regex(/^[^\s*?[\]\\:]+$/, 'one word without spaces, ":" or glob characters')
      .default('cachectl'),
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
    tenants: z
      .array(
        z
          .string()
          .min(1)
          .regex(/^[^\s*?[\]\\]+$/, 'no spaces or glob characters'),
      )
      .default([]),
    families: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'family names are identifiers'), z.union([familySchema, z.literal(false)])).default({}),
    queues: z
      .object({
        /**
         * BullMQ key prefixes. Keys under them are never touched by cache commands. At least one:
         * an empty list would leave cachectl unable to tell queue keys from cache keys.
         */
        prefixes: z
          .array(z.string().min(1))
          .min(1, 'list at least one BullMQ prefix (BullMQ\'s default is "bull"): without one, cache commands could not tell queue keys from cache keys')
          .default(['bull']),
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
        /** The `ttl-policy` step: keys without a TTL in families with `ttlSeconds` get it (false: off). */
        ttlPolicy: z.boolean().default(true),
        /**
         * Keep what the clear-old step deletes: one `maintenance-<UTC timestamp>.cbk.gz` per run in
         * `dir` (relative to the config file's folder), files older than `keepDays` removed by maintenance.
         */
        archive: z
          .object({ dir: z.string().min(1), keepDays: z.number().positive().optional() })
          .strict()
          .optional(),
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
        /** Most keys one server-side pattern-delete step removes (`--batch` overrides); larger = fewer round trips. */
        serverBatch: positiveInt.max(100000).default(5000),
      })
      .strict()
      .prefault({}),
    /** Logs, audit log and backups: `dir` relative to the config file's folder (default `<that folder>/logs`). */
    logs: z
      .object({ dir: z.string().default('logs') })
      .strict()
      .prefault({}),
    /** Thresholds of `cachectl doctor` (and of the overdue flag in `stats`). */
    doctor: z
      .object({
        /** Round trip above this (ms) is a warning. */
        latencyWarnMs: z.number().positive().default(50),
        /** mem_fragmentation_ratio above these warns / fails… */
        fragmentationWarn: z.number().positive().default(1.5),
        fragmentationFail: z.number().positive().default(3),
        /** …but only once used memory is at least this many MiB (a small heap always looks fragmented). */
        fragmentationMinUsedMb: z.number().nonnegative().default(64),
        /** Share of a TTL family's keys without a TTL that fails the check (any share above 0 warns). */
        noTtlFailRatio: z.number().min(0).max(1).default(0.1),
        /** Failed jobs in one queue that warn / fail. */
        failedWarn: z.number().int().nonnegative().default(1000),
        failedFail: z.number().int().nonnegative().default(10000),
        /** Age of a queue's oldest waiting job that warns / fails (minutes). */
        waitingAgeWarnMinutes: z.number().positive().default(30),
        waitingAgeFailMinutes: z.number().positive().default(240),
        /** A scheduled maintenance run counts as missed this long after its time (minutes). */
        maintenanceGraceMinutes: z.number().nonnegative().default(60),
      })
      .strict()
      .prefault({}),
    invalidation: invalidationSchema,
    /**
     * Per-tenant policies, by tenant id: for tenant-scoped families (template `tenant:{tenant}:…`),
     * the tenant's own retention (`maxAgeHours`, overriding the family's and maintenance.hours) and
     * TTL policy (`ttlSeconds`). Applied by maintenance, clear-old and ttl apply in the same pass
     * as every other tenant.
     */
    tenantPolicies: z
      .record(
        z.string().regex(/^[^\s:*?[\]\\]+$/, 'a tenant id is one namespace segment (no ":", spaces or glob characters)'),
        z
          .object({
            families: z.record(z.string(), z.object({ maxAgeHours: z.number().positive().optional(), ttlSeconds: positiveInt.optional() }).strict()),
          })
          .strict(),
      )
      .default({}),
    /** Named servers (see contexts.ts), chosen with `--context NAME` / CACHECTL_CONTEXT. */
    contexts: contextsSchema,
    /** The context used when none is named (never a production one). */
    currentContext: z.string().min(1).optional(),
  })
  .strict()
  .superRefine(checkCurrentContext)
  .superRefine(checkTenantPolicies)
  .superRefine(checkInvalidationRules)
  .superRefine(checkProtectedNamespaces);

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type FamilyConfig = z.output<typeof familySchema>;
export type ReadThroughConfig = z.output<typeof readThroughSchema>;
