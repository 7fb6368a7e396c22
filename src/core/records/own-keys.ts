/**
 * cachectl's own keys, all under one reserved namespace (`config.namespace`, default `cachectl`):
 * the maintenance lock and run records, the invalidation stream and its dead letters. Cache
 * commands never touch them (the key guard protects `<namespace>:` and the configured streams).
 */
import type { CachectlConfig } from '../../config/load.js';

export interface OwnKeys {
  namespace: string;
  /** `<namespace>:` as bytes: every key cachectl keeps for itself starts with it. */
  prefix: Buffer;
  /** The maintenance lock. */
  lock: string;
  /** The stream of maintenance run records. */
  runs: string;
  /** The invalidation stream (`invalidation.stream`). */
  stream: string;
  /** Its dead letters (`invalidation.deadLetterStream`). */
  deadLetters: string;
}

/** The own keys of a configuration. */
export function ownKeys(config: Pick<CachectlConfig, 'namespace' | 'invalidation'>): OwnKeys {
  const ns = config.namespace;
  return {
    namespace: ns,
    prefix: Buffer.from(`${ns}:`, 'utf8'),
    lock: `${ns}:maintenance:lock`,
    runs: `${ns}:maintenance:runs`,
    stream: config.invalidation.stream,
    deadLetters: config.invalidation.deadLetterStream,
  };
}
