// Helpers for the unattended-operation tests: a spawned cachectl whose stdout can be watched line
// by line, a temporary working folder with a config file, and PM2 homes that are always cleaned up.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, cleanEnv, ROOT } from './cli.js';
import { seedQueue } from '../../scripts/lib/seed.mjs';

export interface Streaming {
  child: ChildProcess;
  /** stdout lines seen so far. */
  lines: string[];
  /** Resolve once a stdout line satisfies `test` (rejects after `timeoutMs`). */
  waitFor(test: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Run the built binary, exposing stdout as it comes. */
export function spawnStreaming(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Streaming {
  if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run "npm run build"');
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stdout = '';
  let stderr = '';
  let partial = '';
  const waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  return {
    child,
    lines,
    done,
    waitFor(test, timeoutMs = 20_000) {
      const seen = lines.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching line within ${timeoutMs} ms; stdout so far:\n${stdout}\nstderr:\n${stderr}`)), timeoutMs);
        waiters.push({
          test,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void done.then(() => {
          clearTimeout(timer);
          reject(new Error(`process exited before a matching line; stdout:\n${stdout}\nstderr:\n${stderr}`));
        });
      });
    },
  };
}

/** A temporary working folder with `cachectl.config.json` (families replace the defaults). */
export function workDir(label: string, config: Record<string, unknown>): { dir: string; configFile: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `cachectl-${label}-`));
  const defaults = { userState: false, convMapping: false, waMapping: false, chatList: false, context: false };
  const families = { ...defaults, ...((config.families as Record<string, unknown>) ?? {}) };
  const configFile = path.join(dir, 'cachectl.config.json');
  writeFileSync(configFile, JSON.stringify({ ...config, families }, null, 2));
  return { dir, configFile, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Parsed JSON lines of `<dir>/logs/maintenance.log`. */
// Log lines are free-form JSON objects; tests read the fields they know.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function maintenanceLog(dir: string): Array<Record<string, any>> {
  const file = path.join(dir, 'logs', 'maintenance.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

export const PM2_BIN = path.join(ROOT, 'node_modules/pm2/bin/pm2');

/** Run the pm2 CLI against `home` (synchronously; short commands only). */
export function pm2Cli(home: string, args: string[], cwd?: string): { code: number; out: string } {
  const result = spawnSync(process.execPath, [PM2_BIN, ...args], {
    cwd: cwd ?? ROOT,
    env: { ...cleanEnv(), PM2_HOME: home },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status ?? -1, out: `${result.stdout}${result.stderr}` };
}

/** pids of processes whose command line mentions `home` (a PM2 daemon or its apps), zombies excluded. */
export function processesOf(home: string): number[] {
  const result = spawnSync('pgrep', ['-f', home], { encoding: 'utf8' });
  return result.stdout
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((pid) => pid > 0 && pid !== process.pid)
    .filter((pid) => {
      try {
        return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    });
}

/** Wait until `check` passes (polling), or throw with the last failure. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw last;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A BullMQ queue `<prefix>:<name>` with `done` completed and `failing` failed jobs (processed by a
 * real worker, so they carry real finish times) and `waiting` jobs nobody processes (the demo's
 * seeding, reused).
 */
export async function seedJobs(url: string, name: string, counts: { done: number; failing: number; waiting: number }): Promise<void> {
  await seedQueue(url, name, counts);
}
