/**
 * The earlier tool's TTL variables: `USER_STATE_TTL` (else `CACHE_TTL`), in seconds, set the TTL
 * policy of the `userState` family when the config file does not set one. The file wins, so a
 * policy written down is never overridden by a stray variable.
 */
import { ConfigError } from '../errors.js';

type Families = Record<string, unknown>;

/** `families` with the env TTL applied to `userState` (when the file did not set its `ttlSeconds`). */
export function applyEnvTtl(families: Families, fromFile: Families | undefined, env: NodeJS.ProcessEnv): Families {
  const name = env.USER_STATE_TTL ? 'USER_STATE_TTL' : env.CACHE_TTL ? 'CACHE_TTL' : undefined;
  if (!name) return families;
  const own = fromFile?.userState;
  if (own === false || (typeof own === 'object' && own !== null && 'ttlSeconds' in own)) return families;
  const current = families.userState;
  if (typeof current !== 'object' || current === null) return families;
  const text = env[name]!.trim();
  const seconds = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new ConfigError(`${name} must be a whole number of seconds above 0`, {
      hint: `e.g. ${name}=86400, or set families.userState.ttlSeconds in the config file`,
    });
  }
  return { ...families, userState: { ...current, ttlSeconds: seconds } };
}
