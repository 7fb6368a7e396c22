/**
 * What a read needs to know about its key — family, settings, expiries as command text, the
 * family's counters — as a `Profile` shared by every key of the family (and TTL). A key is
 * resolved to its profile (guard, family match) when it is read; the reader remembers the answer
 * for keys that turn out to be cached (`keep` after a hit), so that a hot key costs one map lookup,
 * while keys read once (misses) leave nothing behind for the garbage collector to carry. The
 * configuration a reader is created with does not change, so nothing remembered goes stale; memory
 * is bounded by forgetting everything at once when full (cheap to redo).
 */
import type { CachectlConfig } from '../../config/load.js';
import { readThroughSchema, type ReadThroughConfig } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import { displayKey } from '../display.js';
import { FamilyMatcher } from '../families.js';
import { KeyGuard } from '../guard.js';
import type { ReadCounters, ReadCounts } from './counters.js';

/** How the keys of one family (and TTL) are read. */
export interface Profile {
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

/** Keys remembered (over all `{ family }` choices), then forgotten all at once. */
export const TARGET_CACHE = 10_000;
/** Profiles (family x TTL) kept, then forgotten all at once. */
const PROFILE_CACHE = 1_000;

/** Resolves keys to profiles for one reader (see the module comment). */
export class Targets {
  private readonly matcher: FamilyMatcher;
  private readonly guard: KeyGuard;
  /** Remembered string keys read without `{ family }`, and per `{ family }` given. */
  private readonly known = new Map<string, Profile>();
  private readonly knownAs = new Map<string, Map<string, Profile>>();
  private remembered = 0;
  private readonly profiles = new Map<string, Profile>();
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
    return this.remembered;
  }

  /** The remembered profile of `input`, if any (string keys without `{ ttlSeconds }` only). */
  cached(input: string | Buffer, options: TargetOptions | undefined): Profile | undefined {
    if (typeof input !== 'string') return undefined;
    if (options === undefined || (options.family === undefined && options.ttlSeconds === undefined)) return this.known.get(input);
    return options.ttlSeconds === undefined ? this.knownAs.get(options.family!)?.get(input) : undefined;
  }

  /** Remember `profile` for `input` (a no-op where `cached` would not find it). */
  keep(input: string | Buffer, options: TargetOptions | undefined, profile: Profile): void {
    if (typeof input !== 'string' || options?.ttlSeconds !== undefined) return;
    if (this.remembered >= TARGET_CACHE) {
      this.known.clear();
      this.knownAs.clear();
      this.remembered = 0;
    }
    let table = this.known;
    if (options?.family !== undefined) {
      table = this.knownAs.get(options.family) ?? new Map<string, Profile>();
      this.knownAs.set(options.family, table);
    }
    if (!table.has(input)) this.remembered++;
    table.set(input, profile);
  }

  /** The profile of `input`; a `UsageError` for keys a reader may not read. */
  resolve(input: string | Buffer, options: TargetOptions | undefined): Profile {
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
    const ttlMs = ttlSeconds === undefined ? '0' : String(Math.max(1, Math.round(ttlSeconds * 1000)));
    const id = `${family.name}\u0000${ttlMs}`;
    const known = this.profiles.get(id);
    if (known) return known;
    let settings = this.settingsOf.get(family.name);
    if (!settings) this.settingsOf.set(family.name, (settings = readThroughSchema.parse(family.readThrough ?? {})));
    const profile = { family: family.name, settings, leaseMs: String(settings.leaseMs), ttlMs, counts: this.counters.of(family.name) };
    if (this.profiles.size >= PROFILE_CACHE) this.profiles.clear();
    this.profiles.set(id, profile);
    return profile;
  }
}
