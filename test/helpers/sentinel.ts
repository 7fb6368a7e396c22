// Real `redis-server --sentinel` processes watching a master, for the sentinel tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePorts } from './server-process.js';

export interface SentinelHandle {
  port: number;
  stop(): Promise<void>;
}

/** One sentinel on 127.0.0.1 watching `master` (host:port) under `name`. */
export async function startSentinel(name: string, masterPort: number): Promise<SentinelHandle> {
  const [port] = await freePorts(1);
  const dir = await mkdtemp(path.join(tmpdir(), 'cachectl-sentinel-'));
  const conf = path.join(dir, 'sentinel.conf');
  await writeFile(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${name} 60000`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  const client = new Redis({ port: port!, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  for (let i = 0; ; i++) {
    try {
      await client.connect();
      const addr = await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name);
      if (addr) break;
    } catch {
      if (i > 100) throw new Error('sentinel did not start');
    }
    client.disconnect();
    await new Promise((r) => setTimeout(r, 100));
  }
  client.disconnect();
  return {
    port: port!,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
