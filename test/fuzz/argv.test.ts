// Argv fuzzing (fast-check, fixed seed): for every command and queue subcommand, generated
// command lines against a private server holding a known keyspace. Each line exits with a
// documented code (0–7), prints no stack trace, no "unexpected failure" and no raw control
// character, and prints an `error:` line when it fails. No line may write to the server (no
// `--yes` is ever generated, so every destructive command stops at its confirmation), and each
// property ends with a full DUMP snapshot compare. Counts per command are printed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { seedCache } from '../security/acl-fixture.js';
import { WorkerPool } from './workers.js';

const SEED = 20240917;
const RUNS = Number(process.env.FUZZ_RUNS ?? 500);

/** Commands fuzzed (long-running, PM2-touching and by-design writing commands are excluded: docs/bad-input.md). */
const COMMANDS: Array<{ path: string[]; flags: string[] }> = [
  { path: ['ping'], flags: ['--json'] },
  { path: ['stats'], flags: ['--exact', '--top', '--prometheus', '--scan-queues', '--no-queues'] },
  { path: ['doctor'], flags: ['--prometheus', '--no-ecosystem', '--ecosystem'] },
  { path: ['keys'], flags: ['--limit', '--count'] },
  { path: ['invalidate'], flags: ['--dry-run', '--conversationId', '--tenant', '--backup', 'pattern'] },
  { path: ['clear-all'], flags: ['--dry-run', '--queue', '--include-unknown', '--backup'] },
  { path: ['clear-old'], flags: ['--dry-run', '--hours', '--backup'] },
  { path: ['clear-user'], flags: ['--dry-run', '--backup'] },
  { path: ['backup'], flags: ['--out', '--force', 'pattern'] },
  { path: ['restore'], flags: ['--dry-run', '--replace', '--match', '--ttl-mode'] },
  { path: ['queues'], flags: ['--prefix', '--json'] },
  { path: ['queues', 'inspect'], flags: ['--recent', '--sample', '--prefix'] },
  { path: ['queues', 'clean'], flags: ['--state', '--grace', '--limit', '--dry-run', '--all'] },
  { path: ['queues', 'retry'], flags: ['--state', '--dry-run', '--limit'] },
  { path: ['queues', 'pause'], flags: ['--all', '--dry-run'] },
  { path: ['queues', 'resume'], flags: ['--all', '--dry-run'] },
  { path: ['queues', 'drain'], flags: ['--delayed', '--backup', '--dry-run'] },
  { path: ['queues', 'import'], flags: ['--create', '--dry-run'] },
  { path: ['queues', 'export'], flags: ['--state', '--out'] },
  { path: ['queues', 'obliterate'], flags: ['--dry-run', '--force'] },
  { path: ['schedule'], flags: ['--runs', '--tz', '--ecosystem'] },
  { path: ['hook'], flags: ['--dry-run', '--keep-backups'] },
];

const NASTY = [
  '',
  ' ',
  '*',
  '?',
  '[',
  ']',
  '\\',
  '%',
  '%zz',
  '/',
  '..',
  '../../etc/passwd',
  '/dev/zero',
  '-',
  '--',
  '0',
  '-1',
  '1e9',
  '99999999999999999999',
  'NaN',
  '1ms',
  '10h',
  'x:',
  ':',
  'toString',
  '__proto__',
  'constructor',
  'userState',
  'convMapping',
  'context',
  'wa',
  'bull:wa',
  '\x1b[2J',
  '\x07',
  '\u202e',
  '\ud800',
  'é日本',
  'a\nb',
  '{"a":1}',
  'redis://u:p@127.0.0.1:1',
  'completed',
  'failed',
  'wait',
];

/** A token: one of the command's flags, a global flag, a nasty value, or a random string. */
function tokens(flags: string[]): fc.Arbitrary<string[]> {
  const token = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...flags) },
    { weight: 1, arbitrary: fc.constantFrom('--json', '--quiet', '--no-color', '--tenant', '--connect-timeout', '--command-timeout', '--help') },
    { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
    { weight: 2, arbitrary: fc.string({ maxLength: 12, unit: 'binary' }) },
    { weight: 1, arbitrary: fc.integer({ min: -5, max: 100_000 }).map(String) },
  );
  return fc.array(token, { maxLength: 6 });
}

let server: ServerHandle;
let admin: Redis;
let cwd: string;
let pool: WorkerPool;
const counts: Record<string, number> = {};

async function snapshot(): Promise<string> {
  const keys = (await admin.keys('*')).sort();
  const parts: string[] = [];
  for (const key of keys) parts.push(`${key}=${(await admin.dumpBuffer(key))?.toString('hex')}:${(await admin.pttl(key)) > 0 ? 'ttl' : 'none'}`);
  return parts.join('\n');
}

async function writes(): Promise<number> {
  return Number(/rdb_changes_since_last_save:(\d+)/.exec(await admin.info('persistence'))?.[1]);
}

beforeAll(async () => {
  server = await startServer();
  admin = new Redis(server.url);
  await seedCache(admin);
  cwd = await mkdtemp(path.join(tmpdir(), 'cachectl-fuzz-'));
  pool = new WorkerPool(3, cwd);
});

afterAll(async () => {
  pool?.close();
  process.stdout.write(`argv fuzz: ${Object.values(counts).reduce((a, b) => a + b, 0)} lines, seed ${SEED}\n`);
  for (const [command, n] of Object.entries(counts)) process.stdout.write(`  ${command.padEnd(20)} ${n}\n`);
  await admin?.quit();
  await server?.stop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('argv fuzz', () => {
  for (const command of COMMANDS) {
    const name = command.path.join(' ');
    it(`${name}: ${RUNS} lines`, { timeout: 600_000 }, async () => {
      const before = await snapshot();
      const writesBefore = await writes();
      await fc.assert(
        fc.asyncProperty(tokens(command.flags), async (extra) => {
          const argv = ['--redis-url', server.url, '--connect-timeout', '2s', ...command.path, ...extra];
          if (name === 'schedule' && extra.includes('--runs')) argv.push('--runs', '10');
          const result = await pool.run(argv);
          counts[name] = (counts[name] ?? 0) + 1;
          const text = `${result.stdout}${result.stderr}`;
          const why = JSON.stringify(argv);
          expect(result.code, why).toBeGreaterThanOrEqual(0);
          expect(result.code, why).toBeLessThanOrEqual(7);
          expect(text, why).not.toMatch(/unexpected failure|THROWN|\n\s+at .+:\d+:\d+\)?\n/);
          expect(text.replace(/\n|\t/g, ''), why).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
          if (result.code !== 0 && result.code !== 1) expect(result.stderr, why).toMatch(/error:|warning:/);
        }),
        { numRuns: RUNS, seed: SEED + COMMANDS.indexOf(command), endOnFailure: true },
      );
      expect(await writes(), 'no line wrote to the server').toBe(writesBefore);
      expect(await snapshot()).toBe(before);
    });
  }
});
