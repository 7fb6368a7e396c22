// The client-side glob matcher and its Lua translation against the servers' own SCAN MATCH, on
// random patterns and keys over an alphabet full of edge cases (classes, ranges across 0x80,
// escapes, NUL, unterminated classes), on Redis and on Valkey. The keyspace step script relies on
// the translation, so any difference here would be a key deleted or kept by mistake.
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globMatch, globToLua } from '../../src/core/glob.js';
import { hasBinary, startServer, type ServerHandle } from '../helpers/servers.js';

const KEY_BYTES = [0x61, 0x62, 0x00, 0x7f, 0x80, 0xff, 0x5d, 0x5e, 0x2d, 0x5c, 0x3a, 0x2a];
const PATTERN_BYTES = [...KEY_BYTES, 0x3f, 0x5b, 0x2a, 0x2a];

const LUA_MATCHES = `
local out = {}
for i, key in ipairs(KEYS) do
  if #key > 0 and string.find(key, ARGV[1]) then out[#out + 1] = i - 1 end
end
return out`;

const binaries = (['redis-server', 'valkey-server'] as const).filter((b) => hasBinary(b));

describe.each(binaries)('glob semantics on %s', (binary) => {
  let server: ServerHandle;
  let client: Redis;
  beforeAll(async () => {
    server = await startServer({ binary });
    client = new Redis({ host: server.host, port: server.port, lazyConnect: true });
    await client.connect();
  });
  afterAll(async () => {
    client.disconnect();
    await server.stop();
  });

  it('globMatch and the Lua translation agree with SCAN MATCH (fixed seed, 60 rounds × 40 patterns × 40 keys)', async () => {
    const bytes = (alphabet: number[], max: number) => fc.array(fc.constantFrom(...alphabet), { minLength: 0, maxLength: max }).map((a) => Buffer.from(a));
    const round = fc.record({
      keys: fc.uniqueArray(bytes(KEY_BYTES, 6), { minLength: 40, maxLength: 40, selector: (b) => b.toString('latin1') }),
      patterns: fc.array(bytes(PATTERN_BYTES, 7), { minLength: 40, maxLength: 40 }),
    });
    const samples = fc.sample(round, { numRuns: 60, seed: 20261202 });
    let compared = 0;
    for (const { keys, patterns } of samples) {
      const present = keys.filter((k) => k.length > 0);
      const old = await allKeys(client);
      if (old.length > 0) await client.unlink(...old);
      for (const key of present) await client.set(key, '1');
      for (const pattern of patterns) {
        const [, found] = (await client.callBuffer('SCAN', '0', 'MATCH', pattern, 'COUNT', 1000)) as [Buffer, Buffer[]];
        const server = new Set(found.map((k) => k.toString('latin1')));
        const client_ = present.filter((k) => globMatch(pattern, k)).map((k) => k.toString('latin1'));
        expect(new Set(client_), `pattern ${JSON.stringify(pattern.toString('latin1'))}`).toEqual(server);
        const lua = globToLua(pattern);
        const luaHits =
          lua === undefined
            ? []
            : ((await client.callBuffer('EVAL', LUA_MATCHES, present.length, ...present, lua)) as number[]).map((i) => present[i]!.toString('latin1'));
        expect(new Set(luaHits), `lua for ${JSON.stringify(pattern.toString('latin1'))}`).toEqual(server);
        compared++;
      }
    }
    expect(compared).toBe(60 * 40);
  });

  it('the empty key: only "*" (which the server does not even test) and the empty pattern match it', async () => {
    await client.set('', 'v');
    for (const pattern of ['*', '**', '?', '[^a]', '*a', '']) {
      const [, found] = (await client.callBuffer('SCAN', '0', 'MATCH', pattern, 'COUNT', 1000)) as [Buffer, Buffer[]];
      expect(globMatch(pattern, ''), JSON.stringify(pattern)).toBe(found.some((k) => k.length === 0));
    }
    await client.del('');
  });
});

async function allKeys(client: Redis): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, keys] = (await client.callBuffer('SCAN', cursor, 'COUNT', 1000)) as [Buffer, Buffer[]];
    cursor = next.toString();
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}
