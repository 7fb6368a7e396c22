// A throwaway redis-server for the demo and benchmarks: free port, temp dir, no persistence,
// always stopped (normal exit, error, Ctrl-C, SIGTERM).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const started = new Set();

function cleanupAll() {
  for (const server of started) server.stopSync();
}
process.on('exit', cleanupAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    cleanupAll();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function answersPing(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

/** Start `binary` (redis-server) with extra args; resolves once it answers PING. */
export async function startThrowawayServer({ binary = 'redis-server', args = [] } = {}) {
  if (spawnSync('sh', ['-c', `command -v ${binary}`]).status !== 0) {
    throw new Error(`${binary} is not installed: run "npm run servers" (installs it with apt-get as root)`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-demo-'));
  const port = await freePort();
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', path.join(dir, 'server.log'), ...args],
    { stdio: 'ignore' },
  );
  const server = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    stopSync() {
      if (!started.delete(server)) return;
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
    async stop() {
      if (!started.has(server)) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      server.stopSync();
    },
  };
  started.add(server);
  for (let i = 0; i < 100; i++) {
    if (await answersPing(port)) return server;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  server.stopSync();
  throw new Error(`${binary} did not start on port ${port}`);
}
