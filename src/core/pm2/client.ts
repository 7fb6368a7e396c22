/**
 * Talking to a running PM2 daemon through PM2's programmatic API, without ever starting one:
 * `pm2.connect()` launches a daemon when none answers, so we look at PM2_HOME first (pid file,
 * live process, RPC socket) and refuse to go further when nothing is there.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pm2NotRunningError } from './errors.js';
import { requirePm2 } from './installed.js';

/** One PM2 process as `pm2-status` shows it. */
export interface Pm2Process {
  name: string;
  pmId: number;
  pid: number;
  /** online, stopped, errored, launching, stopping, one-launch-status… */
  status: string;
  /** Since the last (re)start; undefined when not running. */
  uptimeMs: number | undefined;
  restarts: number;
  unstableRestarts: number;
  memoryBytes: number;
  cpuPercent: number;
  cronRestart: string | undefined;
  autorestart: boolean;
  script: string | undefined;
  args: string[];
  exitCode: number | undefined;
}

export interface DaemonState {
  running: boolean;
  home: string;
  pid?: number;
  /** Why we think it is not running. */
  reason?: string;
}

/** The PM2_HOME PM2 itself would use for `env`. */
export function pm2Home(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PM2_HOME) return path.resolve(env.PM2_HOME);
  return path.join(env.HOME || env.HOMEPATH || os.homedir(), '.pm2');
}

/** Is a PM2 daemon running for `home`? Looks at files and the process table only. */
export function daemonState(home: string): DaemonState {
  const pidFile = path.join(home, 'pm2.pid');
  if (!existsSync(pidFile)) return { running: false, home, reason: `no ${pidFile}` };
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) return { running: false, home, reason: `${pidFile} holds no pid` };
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to another user; we could not talk to it anyway.
    const code = (error as NodeJS.ErrnoException).code;
    return { running: false, home, pid, reason: code === 'EPERM' ? `pid ${pid} belongs to another user` : `pid ${pid} from ${pidFile} is not running` };
  }
  if (!existsSync(path.join(home, 'rpc.sock'))) return { running: false, home, pid, reason: `no RPC socket in ${home}` };
  return { running: true, home, pid };
}

/** The slice of PM2's API object we use. */
export interface Pm2Api {
  connect(cb: (err: Error | null, meta?: { new_pm2_instance?: boolean }) => void): void;
  disconnect(cb?: () => void): void;
  list(cb: (err: Error | null, list?: Pm2Description[]) => void): void;
  restart(name: string, opts: Record<string, unknown>, cb: (err: Error | null, procs?: unknown) => void): void;
  killDaemon(cb: () => void): void;
}

interface Pm2Description {
  name?: string;
  pm_id?: number;
  pid?: number;
  monit?: { memory?: number; cpu?: number };
  pm2_env?: {
    status?: string;
    pm_uptime?: number;
    restart_time?: number;
    unstable_restarts?: number;
    cron_restart?: string | number;
    autorestart?: boolean;
    pm_exec_path?: string;
    args?: string[] | string;
    exit_code?: number;
  };
}

type ApiClass = new (options: { pm2_home: string }) => Pm2Api;
let ApiConstructor: ApiClass | undefined;

/** Load PM2's API class lazily; `pm2`'s index would create (and mkdir) a default ~/.pm2 instance. */
function apiClass(): ApiClass {
  if (!ApiConstructor) {
    // Silences PM2's own console output; it is read when PM2's modules load.
    process.env.PM2_PROGRAMMATIC = 'true';
    ApiConstructor = requirePm2<ApiClass>('lib/API.js', 'talking to the PM2 daemon');
  }
  return ApiConstructor;
}

/**
 * Run `work` against the daemon of `home`, then disconnect. Throws `Pm2NotRunningError` when no
 * daemon is running there (nothing is started).
 */
export async function withPm2<T>(home: string, work: (api: Pm2Api) => Promise<T>): Promise<T> {
  const state = daemonState(home);
  if (!state.running) throw notRunning(state);
  const api = new (apiClass())({ pm2_home: home });
  const meta = await new Promise<{ new_pm2_instance?: boolean } | undefined>((resolve, reject) => {
    api.connect((err, m) => (err ? reject(err) : resolve(m)));
  });
  if (meta?.new_pm2_instance) {
    // The daemon died between our check and the connect, and PM2 started a fresh one: undo that.
    await new Promise<void>((resolve) => api.killDaemon(() => resolve()));
    api.disconnect();
    throw notRunning({ running: false, home, reason: 'the daemon stopped while connecting' });
  }
  try {
    return await work(api);
  } finally {
    await new Promise<void>((resolve) => api.disconnect(() => resolve()));
  }
}

function notRunning(state: DaemonState): Pm2NotRunningError {
  return new Pm2NotRunningError(`no PM2 daemon is running for PM2_HOME=${state.home} (${state.reason ?? 'not found'})`, {
    hint: 'start your apps with "pm2 start ecosystem.config.cjs", or set PM2_HOME to the home of the daemon you mean',
  });
}

/** Every process the daemon manages. */
export async function listProcesses(home: string, now: number = Date.now()): Promise<Pm2Process[]> {
  return withPm2(home, (api) => listWith(api, now));
}

function listWith(api: Pm2Api, now: number): Promise<Pm2Process[]> {
  return new Promise((resolve, reject) => {
    api.list((err, list) => (err ? reject(err) : resolve((list ?? []).map((d) => toProcess(d, now)))));
  });
}

function toProcess(d: Pm2Description, now: number): Pm2Process {
  const env = d.pm2_env ?? {};
  const status = env.status ?? 'unknown';
  const cron = env.cron_restart;
  return {
    name: d.name ?? `#${d.pm_id}`,
    pmId: d.pm_id ?? -1,
    pid: d.pid ?? 0,
    status,
    uptimeMs: status === 'online' && env.pm_uptime ? Math.max(0, now - env.pm_uptime) : undefined,
    restarts: env.restart_time ?? 0,
    unstableRestarts: env.unstable_restarts ?? 0,
    memoryBytes: d.monit?.memory ?? 0,
    cpuPercent: d.monit?.cpu ?? 0,
    cronRestart: cron === undefined || cron === null || String(cron) === '0' || cron === '' ? undefined : String(cron),
    autorestart: env.autorestart !== false,
    script: env.pm_exec_path,
    args: Array.isArray(env.args) ? env.args : typeof env.args === 'string' ? env.args.split(/\s+/).filter(Boolean) : [],
    exitCode: typeof env.exit_code === 'number' ? env.exit_code : undefined,
  };
}

export interface RestartResult {
  name: string;
  ok: boolean;
  error?: string;
  restartsBefore?: number;
  restartsAfter?: number;
  status?: string;
}

/**
 * Restart each named app through PM2 (one at a time, so one failure does not hide the others).
 * Unknown names fail their row. Returns one result per name, in order.
 */
export async function restartApps(home: string, names: string[]): Promise<RestartResult[]> {
  return withPm2(home, async (api) => {
    const before = await listWith(api, Date.now());
    const results: RestartResult[] = [];
    for (const name of names) {
      const procs = before.filter((p) => p.name === name);
      if (procs.length === 0) {
        results.push({ name, ok: false, error: 'no such process in PM2 (start it with pm2 start ecosystem.config.cjs)' });
        continue;
      }
      const restartsBefore = procs.reduce((n, p) => n + p.restarts, 0);
      try {
        await new Promise<void>((resolve, reject) => api.restart(name, {}, (err) => (err ? reject(err) : resolve())));
        const after = (await listWith(api, Date.now())).filter((p) => p.name === name);
        results.push({
          name,
          ok: true,
          restartsBefore,
          restartsAfter: after.reduce((n, p) => n + p.restarts, 0),
          status: after.map((p) => p.status).join(','),
        });
      } catch (error) {
        results.push({ name, ok: false, error: (error as Error).message, restartsBefore });
      }
    }
    return results;
  });
}
