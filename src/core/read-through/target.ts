/**
 * What a read needs to know about its key — family, settings, expiries as command text, the
 * family's counters — resolved once per key and remembered, so that a read of a key seen before
 * costs one map lookup besides its round trips. The configuration a reader is created with does
 * not change, so nothing remembered goes stale; the memory is bounded by forgetting everything at
 * once when full (cheap to redo).
 */
import type { CachectlConfig } from '../../config/load.js';
import { readThroughSchema, type ReadThroughConfig } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import { displayKey } from '../display.js';
import { FamilyMatcher } from '../families.js';
import { KeyGuard } from '../guard.js';
import type { ReadCounters, ReadCounts } from './counters.js';

export interface Target {
  /** The key as the caller gave it (a string key keeps the probe and fill all-string commands). */
  key: string | Buffer;
  /** The key's bytes. */
  bytes: Buffer;
  /** The bytes as a latin1 string (the single-flight map's key: one per distinct key). */
  id: string;
  family: string;
  settings: ReadThroughConfig;
  /** The lease lifetime, as command text. */
  leaseMs: string;
  /** Expiry of a filled value in ms, as command text ("0": none). */
  ttlMs: string;
  /** The family's counters (incremented in place). */
  counts: ReadCounts;
}

export interface TargetOptions {
  family?: string;
  ttlSeconds?: number;
}

/** Keys whose target is remembered, then forgotten all at once. */
export const TARGET_CACHE = 10_000;

/** Resolves keys to targets for one reader (see the module comment). */
export class Targets {
  private readonly matcher: FamilyMatcher;
  private readonly guard: KeyGuard;
  private readonly known = new Map<string, Target>();
  private readonly settingsOf = new Map<string, ReadThroughConfig>();

  constructor(
    private readonly config: CachectlConfig,
    private readonly counters: ReadCounters,
    private readonly tenant: string | undefined,
  ) {
    this.matcher = new FamilyMatcher(Object.values(config.families));
    this.guard = new KeyGuard(config, tenant !== undefined ? { tenant } : {});
  }

  /** Number of keys remembered (for tests). */
  get size(): number {
    return this.known.size;
  }

  /** The target of `input`; a `UsageError` for keys a reader may not read. */
  of(input: string | Buffer, options: TargetOptions | undefined): Target {
    // String keys with the family's own TTL are remembered; the rest are resolved every time.
    let id: string | undefined;
    if (typeof input === 'string' && options?.ttlSeconds === undefined) {
      id = options?.family === undefined ? input : `${options.family}\u0000${input}`;
      const known = this.known.get(id);
      if (known) return known;
    }
    const target = this.resolve(input, options);
    if (id !== undefined) {
      if (this.known.size >= TARGET_CACHE) this.known.clear();
      this.known.set(id, target);
    }
    return target;
  }

  private resolve(input: string | Buffer, options: TargetOptions | undefined): Target {
    const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
    const protection = this.guard.protection(bytes);
    if (protection) {
      const where =
        protection === 'outside' ? `outside tenant "${this.tenant}"` : protection === 'queue' ? 'under a queue prefix' : "in cachectl's own namespace";
      throw new UsageError(`key ${displayKey(bytes)} is ${where}`, { hint: 'read-through reads cache families only' });
    }
    const name = options?.family ?? this.matcher.familyOf(bytes);
    const families = this.config.families;
    const family = name !== undefined && Object.hasOwn(families, name) ? families[name] : undefined;
    if (!family) {
      throw new UsageError(name === undefined ? `key ${displayKey(bytes)} belongs to no family` : `family "${name}" does not exist`, {
        hint: `pass { family } or configure a family whose template matches the key (families: ${Object.keys(families).join(', ') || 'none'})`,
      });
    }
    const ttlSeconds = options?.ttlSeconds ?? family.ttlSeconds;
    if (ttlSeconds !== undefined && !(Number.isFinite(ttlSeconds) && ttlSeconds > 0)) {
      throw new UsageError(`ttlSeconds must be a positive number, got ${ttlSeconds}`, { hint: 'leave it out to use the family TTL' });
    }
    let settings = this.settingsOf.get(family.name);
    if (!settings) this.settingsOf.set(family.name, (settings = readThroughSchema.parse(family.readThrough ?? {})));
    return {
      key: input,
      bytes,
      id: bytes.toString('latin1'),
      family: family.name,
      settings,
      leaseMs: String(settings.leaseMs),
      ttlMs: ttlSeconds === undefined ? '0' : String(Math.max(1, Math.round(ttlSeconds * 1000))),
      counts: this.counters.of(family.name),
    };
  }
}
