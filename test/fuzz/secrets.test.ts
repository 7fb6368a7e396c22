// Secrets generator: 500 passwords made of every reserved URL character (/ ? # @ : % [ ]), spaces
// and unicode in every position, each given one of five ways (--redis-url, REDIS_URL, config
// file, through sentinels, REDIS_PASSWORD) plus a wrong password each. No password, raw or
// URL-encoded, appears in stdout, stderr, --json, the audit log or the run records in Redis.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSentinel, type SentinelHandle } from '../helpers/sentinel.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { WorkerPool } from './workers.js';

const SEED = 20240917;
const COUNT = Number(process.env.FUZZ_SECRETS ?? 500);
const FORMS = ['flag', 'REDIS_URL', 'config', 'sentinel', 'REDIS_PASSWORD'] as const;
const CHARS = ['/', '?', '#', '@', ':', '%', '[', ']', ' ', 'é', '日', '😀', 'a', 'Z', '9', '-', '_', '%2', '%41'];

let server: ServerHandle;
let sentinel: SentinelHandle;
let admin: Redis;
let cwd: string;
let pool: WorkerPool;

/** Passwords: a distinctive core with reserved characters around and inside it. */
function passwords(): string[] {
  const arb = fc.tuple(
    fc.array(fc.constantFrom(...CHARS), { minLength: 1, maxLength: 6 }),
    fc.array(fc.constantFrom(...CHARS), { minLength: 0, maxLength: 6 }),
  );
  const samples = fc.sample(arb, { numRuns: COUNT, seed: SEED });
  return samples.map(([head, tail], i) => `${head.join('')}Sec${i}ret${CHARS[i % 8]}${tail.join('')}`);
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    const file = path.join(dir, name);
    if ((await stat(file)).isDirectory()) out.push(...(await filesUnder(file)));
    else out.push((await readFile(file)).toString('utf8'));
  }
  return out;
}

beforeAll(async () => {
  server = await startServer();
  admin = new Redis(server.url);
  sentinel = await startSentinel('cache', server.port);
  cwd = await mkdtemp(path.join(tmpdir(), 'cachectl-secrets-fuzz-'));
  pool = new WorkerPool(3, cwd);
});

afterAll(async () => {
  pool?.close();
  await admin?.quit();
  await sentinel?.stop();
  await server?.stop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('secrets generator', () => {
  it(`${COUNT} passwords × 5 ways, each also wrong: never printed or recorded`, { timeout: 600_000 }, async () => {
    const list = passwords();
    const leaks: string[] = [];
    const outputs: string[] = [];
    const counts: Record<string, number> = {};
    await Promise.all(
      list.map(async (password, i) => {
        const user = `fz${i}`;
        await admin.call('ACL', 'SETUSER', user, 'on', `>${password}`, '~*', '&*', '+@all');
        const form = FORMS[i % FORMS.length]!;
        counts[form] = (counts[form] ?? 0) + 1;
        for (const pw of [password, `${password}-wrong`]) {
          const url = `redis://${user}:${pw}@127.0.0.1:${server.port}`;
          let args: string[] = [];
          let env: NodeJS.ProcessEnv = {};
          if (form === 'flag') args = ['--redis-url', url];
          else if (form === 'REDIS_URL') env = { REDIS_URL: url };
          else if (form === 'config') {
            const file = path.join(cwd, `c${i}-${pw.length}.json`);
            await writeFile(file, JSON.stringify({ redis: { url } }));
            args = ['--config', file];
          } else if (form === 'sentinel') {
            args = ['--sentinel', `127.0.0.1:${sentinel.port}`, '--sentinel-name', 'cache'];
            env = { REDIS_URL: `redis://${user}@127.0.0.1:1`, REDIS_PASSWORD: pw };
          } else env = { REDIS_URL: `redis://${user}@127.0.0.1:${server.port}`, REDIS_PASSWORD: pw };
          const commands =
            i % 10 === 0
              ? [
                  ['ping', '--json'],
                  ['invalidate', 'pattern', `fz${i}:*`, '--yes', '--json'],
                ]
              : [['ping', '--json'], ['ping']];
          for (const command of commands) {
            const result = await pool.run([...args, '--connect-timeout', '3s', ...command], env);
            expect([0, 3], `${form} ${JSON.stringify(pw)}: ${result.stderr}`).toContain(result.code);
            outputs.push(`${result.stdout}\n${result.stderr}`);
          }
        }
      }),
    );
    const recorded = [...(await filesUnder(cwd)).filter((text) => !text.startsWith('{"redis"')), ...(await admin.keys('cachectl:*')).map(String)];
    for (const key of await admin.keys('cachectl:*')) recorded.push(String(await admin.dumpBuffer(key)));
    for (const password of list) {
      for (const form of [password, encodeURIComponent(password)]) {
        if (outputs.some((o) => o.includes(form)) || recorded.some((r) => r.includes(form))) leaks.push(password);
      }
    }
    process.stdout.write(`secrets generator: ${list.length} passwords, seed ${SEED}, ${outputs.length} runs; ways: ${JSON.stringify(counts)}\n`);
    expect(leaks).toEqual([]);
  });
});
