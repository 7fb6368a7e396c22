/**
 * The configuration of a run without a config file, from the defaults validated once at build
 * time (dist/config/parsed-defaults.json): such a run never loads the schema library. Anything
 * that could fail validation (a file found anywhere on the lookup path, a context, sentinels,
 * timeouts, tenants) goes through `loadConfig`.
 */
import { readFileSync } from 'node:fs';
import { registerSecret } from '../redact.js';
import { applyEnvTtl } from './env-ttl.js';
import { finish, locateConfigFor, requestedContext, type CachectlConfig } from './finish.js';
import type { LoadConfigOptions } from './load.js';
import { defaultStateDir } from './locate.js';
import type { ParsedConfig } from './schema.js';

/** Overrides whose types alone make them valid (a string URL, a boolean, a name, a CA path). */
const PLAIN_REDIS_OVERRIDES = new Set(['url', 'cluster', 'sentinelName', 'tls']);

let parsedDefaults: ParsedConfig | null | undefined;

function readParsedDefaults(): ParsedConfig | null {
  if (parsedDefaults === undefined) {
    try {
      parsedDefaults = JSON.parse(readFileSync(new URL('./parsed-defaults.json', import.meta.url), 'utf8')) as ParsedConfig;
    } catch {
      parsedDefaults = null; // not built (tests run from src): the schema validates as usual
    }
  }
  return parsedDefaults;
}

/**
 * True when `defaultsOnlyConfig(options)` gives the configuration without the schema: the full
 * lookup (`--config`, CACHECTL_CONFIG, the working folder, XDG, the system file) finds no file,
 * no context is asked for, and every command-line setting is valid by its type alone.
 */
export function canSkipSchema(options: LoadConfigOptions): boolean {
  if (options.overrides?.tenants !== undefined || requestedContext(options) !== undefined) return false;
  const redis = Object.entries(options.overrides?.redis ?? {}).filter(([, value]) => value !== undefined);
  if (!redis.every(([key]) => PLAIN_REDIS_OVERRIDES.has(key)) || readParsedDefaults() === null) return false;
  return locateConfigFor(options).file === undefined;
}

/** The configuration `loadConfig(options)` would return, when `canSkipSchema(options)`; else undefined. */
export function defaultsOnlyConfig(options: LoadConfigOptions): CachectlConfig | undefined {
  if (!canSkipSchema(options)) return undefined;
  const env = options.env ?? process.env;
  const data = structuredClone(readParsedDefaults()!);
  // As for a file without `logs.dir`: state goes to the state folder, never the working folder.
  data.logs.dir = defaultStateDir(env);
  if (env.REDIS_URL) data.redis.url = env.REDIS_URL;
  const { url, cluster, sentinelName, tls } = options.overrides?.redis ?? {};
  if (url !== undefined) data.redis.url = url;
  if (cluster !== undefined) data.redis.cluster = cluster;
  if (sentinelName !== undefined) data.redis.sentinelName = sentinelName;
  if (tls !== undefined) data.redis.tls = { ...(tls.ca !== undefined ? { ca: tls.ca } : {}), insecure: tls.insecure ?? false };
  data.families = applyEnvTtl(data.families, undefined, env) as ParsedConfig['families'];
  const password = env.REDIS_PASSWORD || undefined;
  registerSecret(password);
  return { ...finish(data, password, undefined), location: locateConfigFor(options), context: undefined };
}
