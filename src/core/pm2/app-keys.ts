/**
 * The application keys the installed pm2 accepts in an ecosystem file. PM2 validates an app
 * against its `lib/API/schema.json` and copies only the keys it knows (each key, its aliases and
 * its camelCase form, see pm2's `lib/tools/Config.js`); anything else is dropped without a word.
 * We read that schema from the installed pm2 so the lint follows the version that runs the apps.
 */
import { optionalPm2 } from './installed.js';

interface SchemaEntry {
  alias?: string | string[];
}

/** Keys `pm2 start` maps itself before validating (lib/Common.js `verifyConfs`). */
const MAPPED_BEFORE_VALIDATION: Readonly<Record<string, string>> = { cmd: 'script', command: 'script', user: 'uid' };

/** The option names of one pm2 version. */
export interface Pm2AppKeys {
  /** Canonical keys of the schema (without the pattern keys such as `env_*`). */
  keys: readonly string[];
  /** The canonical key `key` stands for, or `undefined` when PM2 would drop it. */
  canonical(key: string): string | undefined;
}

/** PM2 accepts each `snake_case` key in camelCase too (`killTimeout`). */
function camel(key: string): string {
  return key
    .split('_')
    .map((part, i) => (i !== 0 && part.length > 1 ? part[0]!.toUpperCase() + part.slice(1) : part))
    .join('');
}

/** The option names in `schema` (the parsed schema.json). */
export function appKeysFromSchema(schema: Readonly<Record<string, SchemaEntry>>): Pm2AppKeys {
  const names = new Map<string, string>();
  const patterns: RegExp[] = [];
  const keys: string[] = [];
  for (const [key, entry] of Object.entries(schema)) {
    // Keys holding a backslash are regular expressions in PM2's schema (`^env_\S*$`).
    if (key.includes('\\')) {
      patterns.push(new RegExp(key));
      continue;
    }
    keys.push(key);
    const aliases = entry.alias === undefined ? [] : Array.isArray(entry.alias) ? entry.alias : [entry.alias];
    for (const name of [key, camel(key), ...aliases]) if (!names.has(name)) names.set(name, key);
  }
  for (const [name, key] of Object.entries(MAPPED_BEFORE_VALIDATION)) if (!names.has(name)) names.set(name, key);
  return {
    keys,
    canonical: (key) => names.get(key) ?? (patterns.some((p) => p.test(key)) ? key : undefined),
  };
}

let cached: Pm2AppKeys | null | undefined;

/** The installed pm2's option names, or `undefined` when pm2 is not installed. */
export function installedAppKeys(): Pm2AppKeys | undefined {
  if (cached === undefined) {
    const schema = optionalPm2<Record<string, SchemaEntry>>('lib/API/schema.json');
    cached = schema ? appKeysFromSchema(schema) : null;
  }
  return cached ?? undefined;
}

/** Deploy hooks PM2's deploy system runs; any other `pre-*`/`post-*` key is ignored. */
export const PM2_DEPLOY_HOOKS: readonly string[] = ['pre-setup', 'post-setup', 'pre-deploy-local', 'pre-deploy', 'post-deploy'];
