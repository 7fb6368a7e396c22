/**
 * The key guard: the one place that decides "is this key protected?". Built once from the
 * configuration, it protects BullMQ keys (`queues.prefixes`), cachectl's own keys (the
 * `namespace` and the configured streams) and, for a tenant-restricted run, everything outside
 * `tenant:<id>:`. Every path that deletes or writes keys consults it: the server-side step (as
 * script arguments), exact deletes, restore, the invalidation listener and queue imports.
 */
import type { CachectlConfig } from '../config/load.js';
import { literalPrefix } from './glob.js';
import { ownKeys } from './records/own-keys.js';
import type { ScriptArg } from './scripts/index.js';
import { tenantScope } from './tenant.js';

/** Why a key is left alone. */
export type Protection = 'queue' | 'own' | 'outside';

export interface GuardOptions {
  /** Restrict to keys under `tenant:<tenant>:` (everything else is `outside`). */
  tenant?: string;
}

export class KeyGuard {
  /** `<prefix>:` of every BullMQ prefix. */
  readonly queuePrefixes: Buffer[];
  /** `<namespace>:`. */
  readonly ownPrefix: Buffer;
  /** Own keys configured outside the namespace (e.g. a custom invalidation stream name). */
  readonly ownExact: Buffer[];
  /** Tenant restriction, if any. */
  readonly only: Buffer | undefined;

  constructor(config: Pick<CachectlConfig, 'namespace' | 'invalidation' | 'queues'>, options: GuardOptions = {}) {
    const own = ownKeys(config);
    this.queuePrefixes = [...new Set(config.queues.prefixes)].map((prefix) => Buffer.from(`${prefix}:`, 'utf8'));
    this.ownPrefix = own.prefix;
    this.ownExact = [own.stream, own.deadLetters, own.trimmed, own.deadLetterIndex]
      .map((name) => Buffer.from(name, 'utf8'))
      .filter((key) => !startsWith(key, own.prefix));
    this.only = options.tenant !== undefined ? tenantScope(options.tenant).prefix : undefined;
  }

  /** Why `key` must be left alone, or undefined when it may be touched. */
  protection(key: Buffer): Protection | undefined {
    if (this.only && !startsWith(key, this.only)) return 'outside';
    if (this.queuePrefixes.some((prefix) => startsWith(key, prefix))) return 'queue';
    if (startsWith(key, this.ownPrefix) || this.ownExact.some((exact) => exact.equals(key))) return 'own';
    return undefined;
  }

  /** True when `key` must be left alone. */
  protects(key: Buffer): boolean {
    return this.protection(key) !== undefined;
  }

  /**
   * The guard as keyspace-step arguments: required prefix, then P and P (kind, bytes) pairs. With
   * the SCAN MATCH filter of the step, only what can decide a key that filter lets through is
   * sent: every such key starts with the filter's literal prefix, so a protected prefix that
   * neither starts that prefix nor extends it never matches one, and a tenant prefix the filter
   * already implies always does. The server then tests each key against nothing it cannot match.
   */
  scriptArgs(match?: Buffer): ScriptArg[] {
    const within = match ? literalPrefix(match) : Buffer.alloc(0);
    const overlaps = (prefix: Buffer) => startsWith(prefix, within) || startsWith(within, prefix);
    const entries: ScriptArg[] = [];
    for (const prefix of this.queuePrefixes) if (overlaps(prefix)) entries.push('q', prefix);
    if (overlaps(this.ownPrefix)) entries.push('o', this.ownPrefix);
    for (const exact of this.ownExact) if (startsWith(exact, within)) entries.push('e', exact);
    const only = this.only && !startsWith(within, this.only) ? this.only : '';
    return [only, entries.length / 2, ...entries];
  }
}

function startsWith(key: Buffer, prefix: Buffer): boolean {
  return key.length >= prefix.length && key.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}
