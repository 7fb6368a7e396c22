// Secrets: a password given by URL, --redis-url, REDIS_PASSWORD, ACL user URL or config file never
// appears in stdout, stderr, JSON, logs, audit lines, backups, exports or maintenance records.
// Every stream and every file produced under the run's cwd is collected and searched.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { seedJobs } from '../helpers/unattended.js';
import { seedCache, setUser } from './acl-fixture.js';

const PASSWORD = 's3cr3t-Pa55-%-word';
const USER_PASSWORD = 'us3r-Pa55-%-w0rd';
const FORMS = [PASSWORD, encodeURIComponent(PASSWORD), USER_PASSWORD, encodeURIComponent(USER_PASSWORD)];

let server: ServerHandle;
let admin: Redis;
let cwd: string;
const outputs: Array<{ args: string; text: string }> = [];

async function run(args: string[], env: NodeJS.ProcessEnv = {}, signal?: AbortSignal): Promise<CliResult> {
  const result = await runCli(args, { cwd, env, ...(signal ? { signal } : {}) });
  outputs.push({ args: args.join(' '), text: `${result.stdout}\n${result.stderr}` });
  return result;
}

/** Every file under `dir`, gunzipped when it ends in .gz, as text. */
async function filesUnder(dir: string): Promise<Array<{ file: string; text: string }>> {
  const out: Array<{ file: string; text: string }> = [];
  for (const name of await readdir(dir)) {
    const file = path.join(dir, name);
    if ((await stat(file)).isDirectory()) out.push(...(await filesUnder(file)));
    else {
      const raw = await readFile(file);
      out.push({ file, text: (name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('latin1') });
    }
  }
  return out;
}

beforeAll(async () => {
  server = await startServer();
  admin = new Redis(server.url);
  await seedCache(admin);
  await seedJobs(server.url, 'wa', { done: 2, failing: 1, waiting: 2 });
  await setUser(admin, 'ops', ['reset', 'on', `>${USER_PASSWORD}`, '~*', '&*', '+@all']);
  // The readiness probe cannot AUTH: set the password after start.
  await admin.config('SET', 'requirepass', PASSWORD);
  await admin.auth(PASSWORD);
  cwd = await mkdtemp(path.join(tmpdir(), 'cachectl-secrets-'));
});

afterAll(async () => {
  await admin?.quit();
  await server?.stop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('passwords never leave the process', () => {
  it('runs a broad set of commands with the password in every place it can be given', async () => {
    const port = server.port;
    const inUrl = `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`;
    const userUrl = `redis://ops:${encodeURIComponent(USER_PASSWORD)}@127.0.0.1:${port}`;
    const plain = `redis://127.0.0.1:${port}`;
    await writeFile(path.join(cwd, 'cachectl.config.json'), JSON.stringify({ redis: { url: inUrl }, logs: { dir: 'logs' } }));
    const viaEnv = { REDIS_URL: inUrl };
    const viaPassword = { REDIS_URL: plain, REDIS_PASSWORD: PASSWORD };

    expect((await run(['ping', '--redis-url', inUrl])).code).toBe(0);
    expect((await run(['ping', '--json'], viaEnv)).code).toBe(0);
    expect((await run(['ping', '--json'], viaPassword)).code).toBe(0);
    expect((await run(['ping'])).code).toBe(0); // from the config file
    expect((await run(['stats', '--json', '--redis-url', userUrl])).code).toBe(0);
    expect((await run(['stats', '--prometheus'], viaEnv)).code).toBe(0);
    expect([0, 1]).toContain((await run(['doctor', '--json', '--no-ecosystem'], viaPassword)).code);
    expect((await run(['keys', 'userState', '--json'], viaEnv)).code).toBe(0);
    expect((await run(['backup', 'userState', 'pattern', 'tenant:*', '--out', 'b.cbk.gz', '--json'], viaEnv)).code).toBe(0);
    expect((await run(['invalidate', 'pattern', 'context:*', '--yes', '--backup', 'ctx.cbk', '--json'], viaPassword)).code).toBe(0);
    expect((await run(['clear-user', '+27821234567', '--yes', '--json', '--redis-url', userUrl])).code).toBe(0);
    expect((await run(['restore', 'b.cbk.gz', '--replace', '--yes'], viaEnv)).code).toBe(0);
    expect((await run(['queues', 'export', 'wa', '--state', 'waiting,completed,failed', '--out', 'jobs.jsonl'], viaEnv)).code).toBe(0);
    expect((await run(['queues', 'drain', 'wa', '--yes'], viaEnv)).code).toBe(0);
    expect([0, 5]).toContain((await run(['maintenance', '--log-format', 'json'], viaEnv)).code);
    expect((await run(['hook', 'pre-deploy'], viaPassword)).code).toBe(0);
    expect((await run(['publish', 'whatsapp.message', 'deviceId=device-1', '--json'], viaEnv)).code).toBe(0);
    const controller = new AbortController();
    const listening = run(['listen', '--log-format', 'json', '--consumer', 'secrets-1'], viaEnv, controller.signal);
    setTimeout(() => controller.abort(), 700);
    expect((await listening).code).toBe(0);
    expect((await run(['listen', '--status', '--json'], viaEnv)).code).toBe(0);

    // Failures: wrong password, no password, unreachable host with the password in the URL.
    const wrong = await run(['ping', '--redis-url', `redis://:${encodeURIComponent(`${PASSWORD}x`)}@127.0.0.1:${port}`]);
    expect(wrong.code).toBe(3);
    expect((await run(['ping', '--redis-url', plain, '--config', path.join(cwd, 'missing.json')])).code).toBe(2);
    expect((await run(['ping'], { REDIS_URL: plain })).code).toBe(3);
    expect((await run(['ping', '--connect-timeout', '1s'], { REDIS_URL: `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:1` })).code).toBe(3);
    expect((await run(['ping', '--redis-url', `redis://ops:${encodeURIComponent(USER_PASSWORD)}@127.0.0.1:1`, '--json', '--connect-timeout', '1s'])).code).toBe(
      3,
    );
    expect((await run(['ping', '--redis-url', `http://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`])).code).toBe(2);
    expect((await run(['clear-all', '--redis-url', inUrl])).code).toBe(4); // no --yes without a terminal
    // --help with the secret in the environment.
    expect((await run(['--help'], viaPassword)).code).toBe(0);
    expect((await run(['clear-all', '--help'], viaEnv)).code).toBe(0);

    const files = await filesUnder(cwd);
    // The run produced what it should have: audit log, backups, export, maintenance log.
    const names = files.map((f) => path.relative(cwd, f.file));
    expect(names).toEqual(expect.arrayContaining(['b.cbk.gz', 'ctx.cbk', 'jobs.jsonl', 'logs/audit.log', 'logs/maintenance.log']));
    expect(names.some((n) => n.startsWith('logs/backups/'))).toBe(true);

    const leaks: string[] = [];
    for (const { args, text } of outputs) for (const form of FORMS) if (text.includes(form)) leaks.push(`output of "${args}" contains ${form}`);
    for (const { file, text } of files) {
      if (file.endsWith('cachectl.config.json')) continue; // the user's own input
      for (const form of FORMS) if (text.includes(form)) leaks.push(`${file} contains ${form}`);
    }
    // The maintenance record and invalidation streams live in Redis: read them too.
    const streams = JSON.stringify(await admin.xrange('cachectl:maintenance:runs', '-', '+'));
    for (const form of FORMS) if (streams.includes(form)) leaks.push(`maintenance record contains ${form}`);
    expect(leaks).toEqual([]);
    // And the failures said something useful (masked URL, not an empty line).
    expect(wrong.stderr).toMatch(/Authentication failed at redis:\/\/:\*\*\*@127\.0\.0\.1/);
  });
});
