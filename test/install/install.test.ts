// The npm package as a user gets it: `npm pack`, installed offline (npm cache only) into a temp
// folder WITHOUT optional dependencies (so without pm2), then run from an unrelated folder with
// HOME and the XDG folders in temp: --version, ping, a destructive dry run, the pm2 commands'
// install hint, schedule on the shipped ecosystem, and `pm2 start` of the shipped ecosystem file.
// Nothing may be written into the installed package folder.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { eventually, pm2Cli, processesOf, workDir } from '../helpers/unattended.js';
import { installManifest } from './lockfile.js';

const root = mkdtempSync(path.join(tmpdir(), 'cachectl-install-'));
const prefix = path.join(root, 'prefix');
const pkgDir = path.join(prefix, 'node_modules/cachectl');
const bin = path.join(prefix, 'node_modules/.bin/cachectl');
const home = path.join(root, 'home');
const pm2Home = path.join(root, 'pm2-home');
const version = (JSON.parse(spawnSync('npm', ['pkg', 'get', 'version'], { cwd: ROOT, encoding: 'utf8' }).stdout) as string) ?? '';
const keyPrefix = `inst${process.pid}`;
let server: ServerHandle;
let work: ReturnType<typeof workDir>;
let skipReason: string | undefined;
let before: string[] = [];

/** Every file under `dir` with size and mtime: what "unchanged" means. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: false }) as string[]) {
    const st = statSync(path.join(dir, entry));
    out.push(`${entry} ${st.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`);
  }
  return out.sort();
}

function npm(args: string[], cwd: string): { code: number; out: string } {
  const r = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** The installed executable, from the unrelated folder, with HOME/XDG in temp. */
function cachectl(args: string[], extra: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  const xdg = {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_STATE_HOME: path.join(home, '.local/state'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
  };
  const r = spawnSync(bin, args, {
    cwd: work.dir,
    env: cleanEnv({ ...xdg, REDIS_URL: server.url, CACHECTL_CONFIG: work.configFile, ...extra }),
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  server = await startServer();
  work = workDir('install-run', { families: { inst: { template: `${keyPrefix}:{id}` } } });
  mkdirSync(prefix, { recursive: true });
  mkdirSync(home, { recursive: true });
  const packed = npm(['pack', '--pack-destination', prefix], ROOT);
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.out}`);
  const tarball = path.join(prefix, `cachectl-${version}.tgz`);
  const { manifest, lock } = installManifest(tarball);
  writeFileSync(path.join(prefix, 'package.json'), JSON.stringify(manifest));
  writeFileSync(path.join(prefix, 'package-lock.json'), JSON.stringify(lock));
  const installed = npm(['ci', '--offline', '--omit=optional', '--ignore-scripts'], prefix);
  if (installed.code !== 0) {
    if (/ENOTCACHED|only-if-cached/.test(installed.out)) skipReason = 'npm cannot install offline: a dependency is not in the npm cache (run npm ci once)';
    else throw new Error(`npm ci of the packed tarball failed:\n${installed.out}`);
  }
  if (!skipReason) before = snapshot(pkgDir);
}, 120_000);

afterAll(async () => {
  try {
    if (statSafe(path.join(pm2Home, 'pm2.pid'))) pm2Cli(pm2Home, ['kill'], work.dir);
    await eventually(() => expect(processesOf(root)).toEqual([]), 15_000);
  } finally {
    await server?.stop();
    work?.cleanup();
    rmSync(root, { recursive: true, force: true });
  }
}, 60_000);

function statSafe(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

describe('the installed package (no optional dependencies)', () => {
  it('ships what the docs and the ecosystem file point at, without pm2 and without source maps', (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    for (const file of ['docs/unattended.md', 'examples/app.js', 'ecosystem.config.cjs', 'bin/cachectl.js', 'monitoring/grafana/cachectl-dashboard.json'])
      expect(statSafe(path.join(pkgDir, file)), file).toBe(true);
    expect(before.filter((f) => f.split(' ')[0]!.endsWith('.map'))).toEqual([]);
    expect(statSafe(path.join(prefix, 'node_modules/pm2/package.json'))).toBe(false);
  });

  it('ships the CLI bundle, the command metadata, the help pages and the validated defaults (not the build report)', (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    for (const file of [
      'dist/bundle/main.js',
      'dist/bundle/process-title.js',
      'dist/bundle/help.js',
      'dist/cli/command-meta.json',
      'dist/cli/help-pages.json',
      'dist/config/parsed-defaults.json',
      'dist/index.js',
    ])
      expect(statSafe(path.join(pkgDir, file)), file).toBe(true);
    expect(statSafe(path.join(pkgDir, 'dist/bundle/meta.json'))).toBe(false);
    const help = cachectl(['--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: cachectl \[options\] \[command\]/);
    expect(help.stdout).toMatch(/\n {2}completion /);
  });

  it('runs from an unrelated folder: --version, ping, a destructive dry run', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const v = cachectl(['--version']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(version);
    const ping = cachectl(['ping']);
    expect(ping.code, ping.stderr).toBe(0);
    const redis = new Redis(server.url);
    try {
      await redis.mset(`${keyPrefix}:1`, 'a', `${keyPrefix}:2`, 'b', `${keyPrefix}:3`, 'c');
      const dry = cachectl(['clear-all', '--dry-run', '--json']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({ command: 'clear-all', targets: ['inst'], dryRun: true, matched: 3, deleted: 0 });
      expect(await redis.exists(`${keyPrefix}:1`, `${keyPrefix}:2`, `${keyPrefix}:3`)).toBe(3);
    } finally {
      await redis.del(`${keyPrefix}:1`, `${keyPrefix}:2`, `${keyPrefix}:3`);
      redis.disconnect();
    }
  });

  it('pm2-status and pm2-clean say pm2 is not installed (exit 2); schedule works without pm2', (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    for (const args of [['pm2-status'], ['pm2-clean', 'some_app', '--yes']]) {
      const r = cachectl(args, { PM2_HOME: pm2Home });
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr).toMatch(/^error: pm2 is not installed\nhint: .*npm install pm2/m);
    }
    const schedule = cachectl(['schedule', '--json', '--ecosystem', path.join(pkgDir, 'ecosystem.config.cjs')]);
    expect(schedule.code, schedule.stderr).toBe(0);
    const report = JSON.parse(schedule.stdout) as { jobs: Array<{ valid: boolean }>; findings: Array<{ message: string }> };
    expect(report.jobs.length).toBeGreaterThan(0);
    expect(report.jobs.every((j) => j.valid)).toBe(true);
    expect(report.findings.map((f) => f.message)).toEqual([expect.stringMatching(/^pm2 is not installed/)]);
  });

  it('pm2 start of the shipped ecosystem file from another folder starts the example app', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const started = pm2Cli(pm2Home, ['start', path.join(pkgDir, 'ecosystem.config.cjs'), '--only', 'whatsapp_api'], work.dir);
    expect(started.code, started.out).toBe(0);
    await eventually(() => {
      const list = JSON.parse(pm2Cli(pm2Home, ['jlist'], work.dir).out.trim().split('\n').pop() ?? '[]') as Array<{
        name: string;
        pm2_env: { status: string; pm_exec_path: string };
      }>;
      const app = list.find((p) => p.name === 'whatsapp_api');
      expect(app?.pm2_env.status).toBe('online');
      expect(app?.pm2_env.pm_exec_path).toBe(path.join(pkgDir, 'examples/app.js'));
    }, 20_000);
    pm2Cli(pm2Home, ['delete', 'all'], work.dir);
  });

  it('wrote nothing into the package folder', (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    expect(snapshot(pkgDir)).toEqual(before);
  });
});
