// Pattern injection: a user value escaped into a family pattern matches only the key with exactly
// that value — checked with the pure globMatch AND with the real server's SCAN MATCH, for
// arbitrary strings (glob metacharacters, backslashes, unicode) and arbitrary byte arrays.
// (test/unit/glob.test.ts covers escapeGlob/globMatch in isolation; this file checks the family
// path and the server.)
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, type Family } from '../../src/config/load.js';
import { buildPattern, selectFamily } from '../../src/core/families.js';
import { escapeGlob, globMatch } from '../../src/core/glob.js';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { randomPrefix, serverTargets } from '../helpers/targets.js';

const RUNS = 200;
const PREFIX = randomPrefix('inject');
const SPECIAL = ['*', '?', '[', ']', '\\', '^', '-', '!', ':', ' ', 'a', 'b', 'é', '🙂', '\u0000', '{', '}'];

/** A value a user could type: glob metacharacters, ranges, escapes, unicode. */
const textValue = fc.oneof(
  fc.array(fc.constantFrom(...SPECIAL), { minLength: 1, maxLength: 10 }).map((chars) => chars.join('')),
  fc.string({ minLength: 1, maxLength: 12, unit: 'binary' }),
);
/** Any bytes (binary ids), non-empty. */
const byteValue = fc.uint8Array({ minLength: 1, maxLength: 12 }).map((bytes) => Buffer.from(bytes));

const config = resolveConfig({ families: { inj: { template: `${PREFIX}v:{value}:end` } } }, undefined);
const family: Family = config.families.inj!;

/**
 * The family pattern for a value: text through buildPattern (the path selectFamily takes), raw
 * bytes through escapeGlob between the template's literal parts (family values are strings).
 */
function patternOf(value: string | Buffer): Buffer {
  if (typeof value === 'string') return buildPattern(family, { value });
  return Buffer.concat([Buffer.from(`${PREFIX}v:`), escapeGlob(value), Buffer.from(':end')]);
}

function keyOf(value: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${PREFIX}v:`), value, Buffer.from(':end')]);
}

/** Keys that a broken escaping would also match: near misses and the value read as a glob. */
function neighbours(value: Buffer): Buffer[] {
  const out: Buffer[] = [
    Buffer.concat([value, Buffer.from('x')]),
    Buffer.concat([Buffer.from('x'), value]),
    Buffer.concat([value, value]),
    value.subarray(0, value.length - 1),
    value.subarray(1),
  ];
  // One byte changed, at every position.
  for (let i = 0; i < value.length; i++) {
    const changed = Buffer.from(value);
    changed[i] = (changed[i]! + 1) % 256;
    out.push(changed);
  }
  // The value "as a glob": what an unescaped *, ?, [..] or \ would have let through.
  const text = value.toString('latin1');
  for (const [from, to] of [
    [/\*/g, ''],
    [/\*/g, 'zz'],
    [/\?/g, 'q'],
    [/\\(.)/gs, '$1'],
    [/\[([^\]]*)\]/g, '$1'],
    [/\[([^\]])[^\]]*\]/g, '$1'],
  ] as const) {
    out.push(Buffer.from(text.replace(from, to), 'latin1'));
  }
  const id = value.toString('latin1');
  const seen = new Set<string>([id]);
  return out.filter((n) => {
    const nid = n.toString('latin1');
    if (n.length === 0 || seen.has(nid)) return false;
    seen.add(nid);
    return true;
  });
}

let cases = 0;
let serverCases = 0;

describe('escaped family values match only themselves (globMatch)', () => {
  it.each([
    ['text', textValue as fc.Arbitrary<string | Buffer>],
    ['bytes', byteValue as fc.Arbitrary<string | Buffer>],
  ])('%s values', (_label, arbitrary) => {
    fc.assert(
      fc.property(arbitrary, (value) => {
        const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
        const pattern = patternOf(value);
        expect(globMatch(pattern, keyOf(bytes))).toBe(true);
        for (const other of neighbours(bytes)) expect(globMatch(pattern, keyOf(other))).toBe(false);
        cases += 1;
      }),
      { numRuns: 500 },
    );
  });

  it('an exact selection of a bound value is exactly that key, bytes intact', () => {
    fc.assert(
      fc.property(textValue, (value) => {
        const [selection] = selectFamily(family, { value }, { tenants: ['default'] });
        expect(selection?.kind).toBe('exact');
        if (selection?.kind === 'exact') expect(selection.keys).toEqual([keyOf(Buffer.from(value, 'utf8'))]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('escaped family values match only themselves (SCAN MATCH on a real server)', () => {
  const target = serverTargets().find((t) => t.name === 'redis')!;
  let connection: RedisConnection;

  beforeAll(async () => {
    connection = await connect({ url: target.url });
  });
  afterAll(async () => {
    await connection.close();
    console.log(`pattern-injection: ${cases} globMatch cases, ${serverCases} SCAN MATCH cases (each with its neighbour keys)`);
  });

  /** Create the key and its neighbours, SCAN with the escaped pattern, delete them by name. */
  async function check(value: Buffer, pattern: Buffer): Promise<void> {
    const client = connection.masters()[0]!;
    const wanted = keyOf(value);
    const keys = [wanted, ...neighbours(value).map(keyOf)];
    const setup = client.pipeline();
    for (const key of keys) setup.set(key, '1');
    await setup.exec();
    try {
      const found: Buffer[] = [];
      let cursor = '0';
      do {
        // Raw bytes on the wire (the pattern and the keys are Buffers).
        const [next, batch] = (await client.callBuffer('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)) as [Buffer, Buffer[]];
        cursor = String(next);
        found.push(...batch);
      } while (cursor !== '0');
      // Client-side and server-side agree, and both say: exactly the one key.
      expect(found.map((k) => k.toString('hex'))).toEqual([wanted.toString('hex')]);
      for (const key of keys) expect(globMatch(pattern, key)).toBe(key.equals(wanted));
      serverCases++;
    } finally {
      const cleanup = client.pipeline();
      for (const key of keys) cleanup.del(key);
      await cleanup.exec();
    }
  }

  it('text values (glob metacharacters, escapes, unicode)', async () => {
    await fc.assert(
      fc.asyncProperty(textValue, async (value) => {
        await check(Buffer.from(value, 'utf8'), patternOf(value));
      }),
      { numRuns: RUNS },
    );
  });

  it('byte values', async () => {
    await fc.assert(
      fc.asyncProperty(byteValue, async (value) => {
        await check(value, patternOf(value));
      }),
      { numRuns: RUNS },
    );
  });
});
