// Contexts: named servers in the config, chosen with --context / CACHECTL_CONTEXT / currentContext;
// URL precedence --redis-url > context > REDIS_URL > redis.url; unknown names exit 2; `config
// contexts` masks secrets; a production context confirms every destructive run by typing its name
// on a real pseudo-terminal, and still runs unattended with --context and --yes.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { runOnPty } from '../helpers/pty.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { randomPrefix, serverTargets } from '../helpers/targets.js';

const target = serverTargets().find((t) => t.name === 'redis')!;
/** Nothing listens here: a run that uses it fails to connect (exit 3). */
const DEAD = 'redis://127.0.0.1:1';
let dir: string;
let configFile: string;
let connection: RedisConnection;
let prefix: string;

function writeConfig(extra: Record<string, unknown> = {}): void {
  writeFileSync(
    configFile,
    JSON.stringify({
      redis: { url: DEAD, connectTimeoutMs: 500 },
      contexts: {
        staging: { url: target.url, description: 'staging cache' },
        broken: { url: DEAD },
        acme: { url: target.url, tenant: 'acme' },
        prod: { url: target.url.replace('redis://', 'redis://:s3cr3t-pw@'), production: true },
      },
      ...extra,
    }),
  );
}

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['--config', configFile, ...args], { cwd: dir, env });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cachectl-contexts-'));
  configFile = path.join(dir, 'cachectl.config.json');
  connection = await connect({ url: target.url });
});
afterAll(async () => {
  await connection.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  prefix = randomPrefix('ctx');
  writeConfig();
});

describe('choosing a context', () => {
  it('--context, CACHECTL_CONTEXT and currentContext pick the server; none: redis.url', async () => {
    expect((await cli(['ping'])).code).toBe(3);
    expect((await cli(['--context', 'staging', 'ping'])).code).toBe(0);
    expect((await cli(['ping'], { CACHECTL_CONTEXT: 'staging' })).code).toBe(0);
    expect((await cli(['--context', 'broken', 'ping'], { CACHECTL_CONTEXT: 'staging' })).code).toBe(3);
    writeConfig({ currentContext: 'staging' });
    expect((await cli(['ping'])).code).toBe(0);
    expect((await cli(['--context', 'broken', 'ping'])).code).toBe(3);
  });

  it('precedence: --redis-url > context > REDIS_URL > redis.url', async () => {
    expect((await cli(['--context', 'broken', '--redis-url', target.url, 'ping'])).code).toBe(0);
    expect((await cli(['--context', 'staging', '--redis-url', DEAD, 'ping'])).code).toBe(3);
    expect((await cli(['--context', 'staging', 'ping'], { REDIS_URL: DEAD })).code).toBe(0);
    expect((await cli(['--context', 'broken', 'ping'], { REDIS_URL: target.url })).code).toBe(3);
    expect((await cli(['ping'], { REDIS_URL: target.url })).code).toBe(0);
  });

  it('an unknown context is exit 2 naming the known ones, before anything is touched', async () => {
    const result = await cli(['--context', 'stagign', 'invalidate', 'pattern', `${prefix}*`, '--yes']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: Unknown context "stagign"\nhint: known contexts: staging, broken, acme, prod (see "cachectl config contexts")\n');
    expect((await cli(['ping'], { CACHECTL_CONTEXT: 'nope' })).code).toBe(2);
  });

  it('a production context cannot be currentContext (it must be named each time)', async () => {
    writeConfig({ currentContext: 'prod' });
    const result = await cli(['ping']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/currentContext: "prod" is a production context: it cannot be the default, choose it with --context prod/);
  });

  it("a context's tenant restricts tenant-scoped commands as --tenant does", async () => {
    const outside = await cli(['--context', 'acme', 'invalidate', 'pattern', `${prefix}*`, '--dry-run']);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/tenant:acme:/);
    expect((await cli(['--context', 'staging', 'invalidate', 'pattern', `${prefix}*`, '--dry-run'])).code).toBe(0);
    // Also where the command reads the tenant before anything else (restore checks --match first).
    const restore = await cli(['--context', 'acme', 'restore', 'missing.cbk', '--match', `${prefix}*`, '--dry-run']);
    expect(restore.code).toBe(2);
    expect(restore.stderr).toMatch(/reaches outside tenant acme/);
    // Commands without a tenant meaning still run (the context is not a --tenant flag).
    expect((await cli(['--context', 'acme', 'ping'])).code).toBe(0);
  });
});

describe('cachectl config contexts', () => {
  it('lists the contexts with passwords masked and the current one marked (--json too)', async () => {
    const json = await cli(['--context', 'staging', 'config', 'contexts', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).not.toContain('s3cr3t-pw');
    const data = JSON.parse(json.stdout);
    expect(data.current).toBe('staging');
    expect(data.contexts.map((c: { name: string; current: boolean; production: boolean }) => `${c.name}:${c.current}:${c.production}`)).toEqual([
      'staging:true:false',
      'broken:false:false',
      'acme:false:false',
      'prod:false:true',
    ]);
    expect(data.contexts.find((c: { name: string }) => c.name === 'acme').tenant).toBe('acme');
    const table = await cli(['--context', 'staging', 'config', 'contexts']);
    expect(table.stdout).not.toContain('s3cr3t-pw');
    expect(table.stdout).toMatch(/\*\s*│?\s*staging/);
    const none = await cli(['config', 'contexts', '--json']);
    expect(JSON.parse(none.stdout).current).toBeNull();
  });
});

describe('cachectl config show', () => {
  it('shows the settings in effect for the context, without its password', async () => {
    const shown = await cli(['--context', 'prod', 'config', 'show'], { REDIS_PASSWORD: 'env-secret-pw' });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).not.toMatch(/s3cr3t-pw|env-secret-pw/);
    const data = JSON.parse(shown.stdout);
    expect(data.context).toBe('prod');
    expect(data.redis.url).toBe(`redis://:***@127.0.0.1:${new URL(target.url).port}`);
    expect(data.redis.password).toBe('set');
    expect(data.safety.confirmAbove).toBe(0);
    expect(data.logs.dir).toBe(path.join(dir, 'logs'));
    expect(data.source).toBe(configFile);
  });
});

describe('the confirmation prompt on a production context (pseudo-terminal)', () => {
  async function seed(): Promise<void> {
    for (const i of [1, 2, 3]) await connection.client.set(`${prefix}k:${i}`, 'v');
  }
  const left = async () => (await connection.client.keys(`${prefix}k:*`)).length;

  it('asks to type the context name even for 3 keys, shows the context; the name goes ahead', async () => {
    await seed();
    const result = await runOnPty(['--config', configFile, '--context', 'prod', 'invalidate', 'pattern', `${prefix}k:*`], {
      waitFor: 'to continue: ',
      answer: 'prod\r',
      cwd: dir,
    });
    expect(result.answered, result.output).toBe(true);
    expect(result.output).toMatch(/context: prod \(redis:\/\/[^)]*127\.0\.0\.1:\d+\) PRODUCTION/);
    expect(result.output).not.toContain('s3cr3t-pw');
    expect(result.output).toContain('Type the context name (prod) to continue: ');
    expect(result.code, result.output).toBe(0);
    expect(await left()).toBe(0);
  });

  it('a wrong name (or "y") is exit 4 and nothing is touched', async () => {
    await seed();
    for (const answer of ['y\r', 'staging\r']) {
      const result = await runOnPty(['--config', configFile, '--context', 'prod', 'invalidate', 'pattern', `${prefix}k:*`], {
        waitFor: 'to continue: ',
        answer,
        cwd: dir,
      });
      expect(result.code, result.output).toBe(4);
      expect(result.output).toMatch(/Cancelled: ".*" is not the context name; nothing was changed/);
      expect(await left()).toBe(3);
    }
  });

  it('a non-production context shows its name in the ordinary y/N prompt', async () => {
    writeConfig({ safety: { confirmAbove: 1 } });
    await seed();
    const result = await runOnPty(['--config', configFile, '--context', 'staging', 'invalidate', 'pattern', `${prefix}k:*`], {
      waitFor: '[y/N] ',
      answer: 'n\r',
      cwd: dir,
    });
    expect(result.output).toMatch(/context: staging \(redis:\/\/127\.0\.0\.1:\d+\)\r?\n/);
    expect(result.code).toBe(4);
    expect(await left()).toBe(3);
  });

  it('unattended: no terminal needs --yes; --context prod --yes runs (cron)', async () => {
    await seed();
    const refused = await spawnCli(['--config', configFile, '--context', 'prod', 'invalidate', 'pattern', `${prefix}k:*`], { cwd: dir });
    expect(refused.code).toBe(4);
    expect(await left()).toBe(3);
    const ran = await spawnCli(['--config', configFile, '--context', 'prod', 'invalidate', 'pattern', `${prefix}k:*`, '--yes', '--json'], { cwd: dir });
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout).deleted).toBe(3);
    expect(readdirSync(dir)).toContain('logs');
  });
});

describe('a production context and the age policies (private server)', () => {
  let server: ServerHandle;
  let client: Redis;
  let policyDir: string;
  let policyConfig: string;
  const run = (args: string[]) => spawnCli(['--config', policyConfig, '--context', 'prod', ...args], { cwd: policyDir });

  beforeAll(async () => {
    server = await startServer();
    client = new Redis({ host: server.host, port: server.port });
    policyDir = mkdtempSync(path.join(tmpdir(), 'cachectl-prod-policy-'));
    policyConfig = path.join(policyDir, 'cachectl.config.json');
    writeFileSync(
      policyConfig,
      JSON.stringify({
        contexts: { prod: { url: server.url, production: true } },
        families: { ctxOld: { template: 'old:{id}', maxAgeHours: 0.0001 } },
      }),
    );
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
    rmSync(policyDir, { recursive: true, force: true });
  });
  /** Three keys the server has seen idle for over a second (its idle clock counts whole seconds). */
  async function seedIdle(): Promise<void> {
    await client.mset('old:1', 'v', 'old:2', 'v', 'old:3', 'v');
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
  const left = async () => (await client.keys('old:*')).length;

  it('clear-old asks like any destructive run: refused without a terminal, the name typed on one goes ahead', async () => {
    await seedIdle();
    const refused = await run(['clear-old', 'ctxOld', '--hours', '0.0001']);
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.stderr).toMatch(/"prod" is a production context/);
    expect(await left()).toBe(3);

    const asked = await runOnPty(['--config', policyConfig, '--context', 'prod', 'clear-old', 'ctxOld', '--hours', '0.0001'], {
      waitFor: 'to continue: ',
      answer: 'prod\r',
      cwd: policyDir,
    });
    expect(asked.answered, asked.output).toBe(true);
    expect(asked.code, asked.output).toBe(0);
    expect(await left()).toBe(0);
  });

  it('maintenance never asks (calling it is the decision): it runs under cron on a production context', async () => {
    await seedIdle();
    const result = await run(['maintenance', '--log-format', 'json']);
    expect(result.code, result.stderr).toBe(0);
    expect(await left()).toBe(0);
  });
});
