/**
 * Resolve the configuration once: flags > environment > config file > defaults, validated with
 * messages that name the file and the bad field.
 */
import path from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { MIB, readInputFile } from '../input-file.js';
import { registerSecret } from '../redact.js';
import { pickContext, type ContextSource } from './contexts.js';
import { DEFAULT_FAMILIES } from './defaults.js';
import { applyEnvTtl } from './env-ttl.js';
import { finish, locateConfigFor, requestedContext, type CachectlConfig } from './finish.js';
import type { ConfigLocation } from './locate.js';
import { anchorPaths } from './paths.js';
import { configSchema, type ConfigInput } from './schema.js';

export type { CachectlConfig, Family } from './finish.js';

/** Settings given on the command line; they win over everything else. */
export interface ConfigOverrides {
  redis?: Partial<NonNullable<ConfigInput['redis']>>;
  tenants?: string[];
}

export interface LoadConfigOptions {
  /** Explicit config file (`--config`; default CACHECTL_CONFIG); must exist. */
  file?: string | undefined;
  /** True when `file` is CACHECTL_CONFIG's value (for `config path`). */
  fileFromEnv?: boolean;
  /** Where `cachectl.config.json` is looked up first, and what relative `file` means. */
  cwd?: string;
  /** Environment to read REDIS_URL, REDIS_PASSWORD, CACHECTL_*, XDG_* and HOME from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  overrides?: ConfigOverrides;
  /** Context to use (`--context`; default CACHECTL_CONTEXT, then the file's `currentContext`). */
  context?: string | undefined;
  /** True when `context` is CACHECTL_CONTEXT's value. */
  contextFromEnv?: boolean;
}

/** A config file is small; anything larger is a mistake (or /dev/zero). */
const CONFIG_MAX_BYTES = MIB;

/** Load, merge and validate the configuration. Throws `ConfigError` naming the bad field. */
export function loadConfig(options: LoadConfigOptions = {}): CachectlConfig {
  const env = options.env ?? process.env;
  const location = locateConfigFor(options);
  const { raw, source } = readConfigFile(location);

  const merged = anchorPaths(raw, source, env) as Record<string, unknown> & ConfigInput;
  const requested = requestedContext(options);
  const picked = pickContext(merged, requested);
  const redis: Record<string, unknown> = { ...(merged.redis ?? {}) };
  // --redis-url > context > REDIS_URL > redis.url
  if (picked) {
    for (const key of ['url', 'tls', 'cluster'] as const) if (picked.raw[key] !== undefined) redis[key] = picked.raw[key];
    if (picked.raw.production === true) merged.safety = { ...(merged.safety ?? {}), confirmAbove: 0 };
  } else if (env.REDIS_URL) redis.url = env.REDIS_URL;
  for (const [key, value] of Object.entries(options.overrides?.redis ?? {})) {
    if (value !== undefined) redis[key] = value;
  }
  merged.redis = redis as ConfigInput['redis'];
  if (options.overrides?.tenants) merged.tenants = options.overrides.tenants;
  merged.families = applyEnvTtl({ ...DEFAULT_FAMILIES, ...(merged.families ?? {}) }, raw.families, env) as ConfigInput['families'];

  const result = configSchema.safeParse(merged);
  if (!result.success) throw configErrorFrom(result.error, source);
  const password = env.REDIS_PASSWORD || undefined;
  registerSecret(password);
  const contextSource: ContextSource = options.context !== undefined ? (options.contextFromEnv ? 'env' : 'flag') : requested !== undefined ? 'env' : 'config';
  const context = picked ? { ...result.data.contexts[picked.name]!, name: picked.name, source: contextSource } : undefined;
  return { ...finish(result.data, password, source), location, context };
}

/** Validate an in-memory config object (library use); same rules and messages as files. */
export function resolveConfig(input: ConfigInput = {}, password?: string): CachectlConfig {
  const merged = { ...input, families: { ...DEFAULT_FAMILIES, ...(input.families ?? {}) } };
  const result = configSchema.safeParse(merged);
  if (!result.success) throw configErrorFrom(result.error, undefined);
  registerSecret(password);
  return { ...finish(result.data, password, undefined), context: undefined };
}

function readConfigFile(location: ConfigLocation): { raw: ConfigInput; source: string | undefined } {
  const target = location.file;
  if (target === undefined) return { raw: {}, source: undefined };
  if (!location.searched.at(-1)?.exists) {
    throw new ConfigError(`Config file not found: ${target}`, {
      hint: `check the path given to ${location.source === 'env' ? 'CACHECTL_CONFIG' : '--config'}`,
    });
  }
  const text = readInputFile(target, {
    what: 'config file',
    maxBytes: CONFIG_MAX_BYTES,
    option: '--config / CACHECTL_CONFIG',
    makeError: (message, hint, cause) => new ConfigError(message, { hint, cause }),
  }).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // V8 quotes the text around the error (`…"password": hunter2"… is not valid JSON`): drop it,
    // the file may hold a password.
    const reason = (error as Error).message.replace(/,\s*(\.\.\.)?".*"(\.\.\.)?\s+is not valid JSON\s*$/s, '');
    throw new ConfigError(`Config file ${path.basename(target)} is not valid JSON: ${reason}`, {
      cause: error,
      hint: 'see cachectl.config.example.json for the format',
    });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`Config file ${path.basename(target)} must hold a JSON object`, {
      hint: 'see cachectl.config.example.json for the format',
    });
  }
  return { raw: raw as ConfigInput, source: target };
}

function configErrorFrom(error: z.ZodError, source: string | undefined): ConfigError {
  const where = source ? `Config file ${path.basename(source)}` : 'Configuration';
  const issue = error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : '';
  return new ConfigError(`${where}: ${field}: ${issue.message}${more}`, {
    cause: error,
    hint: 'see cachectl.config.example.json for every field and its type',
  });
}
