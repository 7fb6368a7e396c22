// Real redis-server / valkey-server child processes for tests: free ports, private temp dirs,
// readiness by PING, and a process-wide safety net so no server outlives the test run.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, rmSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export type ServerBinary = 'redis-server' | 'valkey-server';

export interface ServerHandle {
  binary: ServerBinary;
  host: string;
  port: number;
  url: string;
  dir: string;
  /** pid of the current process; changes after restart(). */
  pid: number;
  /** SIGTERM, wait for exit (SIGKILL after 3 s), rm -rf dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL now and keep the dir (fault tests). Idempotent. */
  kill(): Promise<void>;
  /** Start again on the same port and dir (persistence / restart tests). */
  restart(): Promise<void>;
}

export interface StartServerOptions {
  binary?: ServerBinary;
  /** Extra server arguments, appended last so they override the defaults. */
  args?: string[];
  /** appendonly yes + appendfsync always, so data survives even SIGKILL. */
  persistence?: boolean;
  /** Fixed port; without it a free one is picked (and re-picked if the bind races). */
  port?: number;
  /**
   * Serve TLS only: the picked port becomes `--tls-port` (plain `--port 0`), with these PEM files
   * and `--tls-auth-clients no`; readiness is probed over TLS (without verifying the certificate).
   */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

/** Internal extras used by the cluster builder. */
export interface NodeOptions extends StartServerOptions {
  cluster?: boolean;
}

export interface NodeHandle extends ServerHandle {
  /** Cluster bus port (only for cluster nodes). */
  busPort: number | undefined;
}

export const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;
const START_ATTEMPTS = 5;

/** True when `name` is an executable file in one of the PATH directories. */
export function hasBinary(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return true;
    } catch {
      // not here; keep looking
    }
  }
  return false;
}

// --- process-wide registry -------------------------------------------------------------------
// Kept on globalThis so re-evaluating this module (vitest isolates modules per test file) does
// not stack up duplicate exit/signal listeners.
const REGISTRY_KEY = Symbol.for('cachectl.test.server-registry');

interface Registry {
  children: Set<ChildProcess>;
  /** Temp dirs of handles not stopped yet (including kill()ed ones). */
  dirs: Set<string>;
}

function registry(): Registry {
  const holder = globalThis as typeof globalThis & { [REGISTRY_KEY]?: Registry };
  const existing = holder[REGISTRY_KEY];
  if (existing) return existing;
  const reg: Registry = { children: new Set(), dirs: new Set() };
  holder[REGISTRY_KEY] = reg;
  // Synchronous on purpose: 'exit' listeners cannot await.
  const cleanUp = (): void => {
    for (const child of reg.children) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    reg.children.clear();
    for (const dir of reg.dirs) rmSync(dir, { recursive: true, force: true });
    reg.dirs.clear();
  };
  process.on('exit', cleanUp);
  // Vitest ends its fork workers with SIGTERM, which skips 'exit' listeners; catch it, clean
  // up, then re-raise so the default behaviour (die by that signal) still happens when nobody
  // else handles it.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanUp();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
  return reg;
}

// --- small utilities -------------------------------------------------------------------------

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      if (address && typeof address === 'object') resolve(address.port);
      else reject(new Error('could not read the port the OS assigned'));
    });
  });
}

/** Ask the OS for `count` distinct free ports (all held open at once so they differ). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(servers.map(listen));
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/**
 * Raw PING + INFO over TCP (no client retry machinery). Ready means PING says +PONG (not
 * -LOADING) and INFO's process_id is our child: otherwise a foreign process that holds the port
 * could answer for a server of ours that failed to bind.
 */
function probe(port: number, pid: number, timeoutMs = 500, secure = false): Promise<boolean> {
  return new Promise((resolve) => {
    const socket: Socket = secure ? tlsConnect({ host: HOST, port, rejectUnauthorized: false }) : createConnection({ host: HOST, port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once(secure ? 'secureConnect' : 'connect', () => socket.write('PING\r\nINFO server\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (!reply.includes('\r\n')) return;
      if (!reply.startsWith('+PONG\r\n')) return done(false);
      const info = /process_id:(\d+)\r\n/.exec(reply);
      if (info) done(Number(info[1]) === pid);
    });
  });
}

async function tail(file: string, lines = 25): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log file)';
  }
}

// --- one running process ---------------------------------------------------------------------

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  /** Last few KB of stdout+stderr: config errors are printed there before the log file opens. */
  output: () => string;
}

function launch(binary: ServerBinary, args: string[]): Running {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const { children } = registry();
  children.add(child);
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4096);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => {
    const finish = (): void => {
      children.delete(child);
      resolve();
    };
    child.once('exit', finish);
    // spawn failures (e.g. ENOENT) emit 'error' and may never emit 'exit'
    child.once('error', (err) => {
      collect(Buffer.from(`spawn error: ${err.message}\n`));
      finish();
    });
  });
  // A forgotten server must not keep a plain Node process alive; the registry kills it on exit.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
  return { child, exited, output: () => output };
}

function isAlive(running: Running): boolean {
  return running.child.exitCode === null && running.child.signalCode === null && running.child.pid !== undefined;
}

/** SIGTERM (or SIGKILL) and wait; escalate to SIGKILL after the grace period. */
async function terminate(running: Running, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (isAlive(running)) {
    running.child.kill(signal);
    const escalate = setTimeout(() => running.child.kill('SIGKILL'), STOP_GRACE_MS);
    await running.exited;
    clearTimeout(escalate);
  }
  await running.exited;
}

class StartError extends Error {
  constructor(
    message: string,
    readonly bindFailed: boolean,
  ) {
    super(message);
  }
}

/** Wait until the server answers PING, or fail with its log tail. */
async function waitReady(running: Running, binary: ServerBinary, port: number, logFile: string, secure = false): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited = false;
  void running.exited.then(() => (exited = true));
  const pid = running.child.pid ?? -1;
  while (!exited && Date.now() < deadline) {
    if (await probe(port, pid, 500, secure)) return;
    await sleep(25);
  }
  const status = exited
    ? `exited early (code ${running.child.exitCode ?? 'null'}, signal ${running.child.signalCode ?? 'none'})`
    : `did not answer PING within ${READY_TIMEOUT_MS} ms`;
  await terminate(running, 'SIGKILL');
  const log = await tail(logFile);
  const output = running.output().trim();
  const bindFailed = /Address already in use|bind: /i.test(log + output);
  throw new StartError(
    `${binary} on ${HOST}:${port} ${status}.\n` + `--- last lines of ${logFile} ---\n${log}\n` + (output ? `--- stdout/stderr ---\n${output}\n` : ''),
    bindFailed,
  );
}

function serverArgs(o: { port: number; dir: string; busPort: number | undefined; persistence: boolean; extra: string[] }): string[] {
  const args = [
    '--port',
    String(o.port),
    '--bind',
    HOST,
    '--protected-mode',
    'no',
    '--daemonize',
    'no',
    '--dir',
    o.dir,
    '--logfile',
    join(o.dir, 'server.log'),
    '--save',
    '',
    '--appendonly',
    o.persistence ? 'yes' : 'no',
    // Diskless full sync otherwise waits 5 s for more replicas to join: pure delay in tests.
    '--repl-diskless-sync-delay',
    '0',
  ];
  if (o.persistence) args.push('--appendfsync', 'always');
  if (o.busPort !== undefined) {
    // An explicit bus port (Redis/Valkey >= 7) avoids needing port+10000 to be free and < 65536.
    args.push(
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(o.dir, 'nodes.conf'),
      '--cluster-node-timeout',
      '2000',
      '--cluster-port',
      String(o.busPort),
    );
  }
  return [...args, ...o.extra];
}

/** Start one server; used by startServer and by the cluster builder. */
export async function startNode(opts: NodeOptions = {}): Promise<NodeHandle> {
  const binary = opts.binary ?? 'redis-server';
  if (!hasBinary(binary)) throw new Error(`${binary} not found on PATH (run scripts/install-servers.sh)`);
  const dir = await mkdtemp(join(tmpdir(), 'cachectl-test-'));
  const { dirs } = registry();
  dirs.add(dir);
  const removeDir = async (): Promise<void> => {
    await rm(dir, { recursive: true, force: true });
    dirs.delete(dir);
  };
  const logFile = join(dir, 'server.log');
  const persistence = opts.persistence ?? false;

  let port = 0;
  let busPort: number | undefined;
  let args: string[] = [];
  let running: Running | undefined;
  for (let attempt = 1; ; attempt++) {
    const picked = await freePorts(opts.cluster ? 2 : 1);
    port = opts.port ?? picked[0]!;
    busPort = opts.cluster ? picked[1] : undefined;
    const tlsArgs = opts.tls
      ? [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cert-file',
          opts.tls.certFile,
          '--tls-key-file',
          opts.tls.keyFile,
          '--tls-ca-cert-file',
          opts.tls.caFile,
          '--tls-auth-clients',
          'no',
        ]
      : [];
    args = serverArgs({ port, dir, busPort, persistence, extra: [...tlsArgs, ...(opts.args ?? [])] });
    await writeFile(logFile, ''); // fresh log per attempt so errors quote this attempt only
    const candidate = launch(binary, args);
    try {
      await waitReady(candidate, binary, port, logFile, opts.tls !== undefined);
      running = candidate;
      break;
    } catch (err) {
      // Another process can grab the port between our probe and the server's bind: retry
      // with new ports unless the caller pinned the port.
      const retry = err instanceof StartError && err.bindFailed && opts.port === undefined && attempt < START_ATTEMPTS;
      if (!retry) {
        await removeDir();
        throw new Error(`${(err as Error).message}(temp dir ${dir} removed)`, { cause: err });
      }
    }
  }

  let current: Running = running;
  let stopping: Promise<void> | undefined;
  const handle: NodeHandle = {
    binary,
    host: HOST,
    port,
    busPort,
    url: `${opts.tls ? 'rediss' : 'redis'}://${HOST}:${port}`,
    dir,
    get pid(): number {
      return current.child.pid ?? -1;
    },
    stop() {
      stopping ??= (async () => {
        await terminate(current, 'SIGTERM');
        await removeDir();
      })();
      return stopping;
    },
    async kill() {
      await terminate(current, 'SIGKILL');
    },
    async restart() {
      if (stopping) throw new Error(`${binary} on port ${port} was stopped; its dir is gone`);
      await terminate(current, 'SIGTERM');
      const next = launch(binary, args);
      current = next;
      await waitReady(next, binary, port, logFile, opts.tls !== undefined);
    },
  };
  return handle;
}

export function startServer(opts: StartServerOptions = {}): Promise<ServerHandle> {
  return startNode({ ...opts, cluster: false });
}
