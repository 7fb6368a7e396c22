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
  /** The listener's counters of entries the stream cap trimmed before they were applied. */
  trimmed: string;
  /** The dead-letter index: source entry id → dead-letter id (dead-lettering once). */
  deadLetterIndex: string;
}

/**
 * Keys the listener keeps beside its streams. Each carries the stream's name as its hash tag, so it
 * lives in that stream's slot on a cluster (a script may then touch both), and it starts with the
 * stream's name, so it is inside cachectl's namespace whenever the stream is.
 */
export function deadLetterIndexKey(deadLetterStream: string): string {
  return `${deadLetterStream}:sources{${deadLetterStream}}`;
}

export function trimmedKey(stream: string): string {
  return `${stream}:trimmed{${stream}}`;
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
    trimmed: trimmedKey(config.invalidation.stream),
    deadLetterIndex: deadLetterIndexKey(config.invalidation.deadLetterStream),
  };
}
