// The shipped PM2 app of the exporter: absent from `apps` unless CACHECTL_EXPORTER=1 (PM2 has no
// "disabled" flag), lint-clean and kept whole by PM2's own validation when enabled, and under a
// real PM2 daemon (temporary PM2_HOME) it comes online, serves /metrics, and `pm2 stop` ends it
// cleanly (SIGINT, exit 0, no restart). No daemon is left behind.
import { createRequire } from 'node:module';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listProcesses } from '../../src/core/pm2/client.js';
import { lintEcosystem, loadEcosystem } from '../../src/core/pm2/ecosystem.js';
import { freePorts } from '../helpers/server-process.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { parsePrometheus, promValue } from '../helpers/prom-parse.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { eventually, pm2Cli, processesOf, workDir } from '../helpers/unattended.js';

const require = createRequire(import.meta.url);
const ECOSYSTEM = path.join(ROOT, 'ecosystem.config.cjs');

async function shippedApps(enabled: boolean) {
  const before = process.env.CACHECTL_EXPORTER;
  if (enabled) process.env.CACHECTL_EXPORTER = '1';
  else delete process.env.CACHECTL_EXPORTER;
  try {
    return await loadEcosystem(ECOSYSTEM);
  } finally {
    if (before === undefined) delete process.env.CACHECTL_EXPORTER;
    else process.env.CACHECTL_EXPORTER = before;
  }
}

describe('the cache_exporter app of the shipped ecosystem', () => {
  it('is disabled by default and lint-clean when enabled; PM2 keeps every key', async () => {
    expect((await shippedApps(false)).apps.map((a) => a.name)).not.toContain('cache_exporter');
    const enabled = await shippedApps(true);
    const app = enabled.apps.find((a) => a.name === 'cache_exporter')!;
    expect(app).toMatchObject({ script: path.join(ROOT, 'bin/cachectl.js'), autorestart: true });
    expect(String(app.args)).toMatch(/^exporter --listen 127\.0\.0\.1:\d+/);
    expect(lintEcosystem(enabled).filter((f) => f.app === 'cache_exporter')).toEqual([]);
    const Common = require(path.join(ROOT, 'node_modules/pm2/lib/Common.js')) as { verifyConfs(apps: unknown[]): unknown[] | Error };
    const [verified] = Common.verifyConfs([structuredClone(app)]) as Array<Record<string, unknown>>;
    for (const key of Object.keys(app)) expect(verified, key).toHaveProperty(key);
  });
});

describe('cache_exporter under a real PM2 daemon', () => {
  let server: ServerHandle;
  let work: ReturnType<typeof workDir>;
  let home: string;
  let port: number;

  beforeAll(async () => {
    server = await startServer();
    work = workDir('pm2-exporter', {});
    home = path.join(work.dir, 'pm2-home');
    port = (await freePorts(1))[0]!;
    const app = (await shippedApps(true)).apps.find((a) => a.name === 'cache_exporter')!;
    const apps = [
      {
        ...app,
        script: BIN,
        args: String(app.args).replace(/--listen \S+/, `--listen 127.0.0.1:${port}`),
        cwd: work.dir,
        env: { REDIS_URL: server.url, CACHECTL_CONFIG: work.configFile, NO_COLOR: '1' },
        out_file: path.join(work.dir, 'exporter-out.log'),
        error_file: path.join(work.dir, 'exporter-err.log'),
        log_file: path.join(work.dir, 'exporter.log'),
      },
    ];
    writeFileSync(path.join(work.dir, 'ecosystem.config.cjs'), `module.exports = ${JSON.stringify({ apps }, null, 2)};\n`);
  }, 60_000);

  afterAll(async () => {
    try {
      if (home && existsSync(path.join(home, 'pm2.pid'))) pm2Cli(home, ['kill']);
      if (work) await eventually(() => expect(processesOf(work.dir)).toEqual([]), 15_000);
    } finally {
      await server?.stop();
      work?.cleanup();
    }
  }, 60_000);

  it('comes online, serves /metrics, and pm2 stop ends it cleanly', async () => {
    const started = pm2Cli(home, ['start', path.join(work.dir, 'ecosystem.config.cjs')], work.dir);
    expect(started.code, started.out).toBe(0);
    const m = await eventually(async () => {
      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const parsed = parsePrometheus(body);
      expect(promValue(parsed, 'cachectl_up')).toBe(1);
      return parsed;
    }, 30_000);
    expect(m.has('cachectl_server_info')).toBe(true);
    const [proc] = await listProcesses(home);
    expect(proc).toMatchObject({ name: 'cache_exporter', status: 'online', restarts: 0 });
    const stopped = pm2Cli(home, ['stop', 'cache_exporter'], work.dir);
    expect(stopped.code, stopped.out).toBe(0);
    await eventually(async () => expect((await listProcesses(home))[0]).toMatchObject({ status: 'stopped', restarts: 0 }), 15_000);
    // A graceful stop: the exporter logged it (JSON lines), and the port is free again.
    const out = readFileSync(path.join(work.dir, 'exporter-out.log'), 'utf8');
    expect(out).toMatch(/"event":"stopped"/);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  }, 90_000);
});
