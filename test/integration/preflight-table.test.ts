// Every destructive CLI command and library method, against every failure that can be found
// before the first delete: an audit log that cannot be written, a backup target that is a folder,
// a missing ACL permission, a disk too small for the backup. Each must end with exit 2/3/4/7 (or
// the error of that class) and leave every key and every job exactly as it was.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { CacheManager } from '../../src/core/cache-manager.js';
import { isCachectlError } from '../../src/errors.js';
import { connect } from '../../src/redis/connect.js';
import { runCli } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { expectSame, snapshot } from '../helpers/snapshot.js';

const VALUE = 'x'.repeat(1000);
const NOTHING_TOUCHED = [2, 3, 4, 7];

type Failure = 'audit' | 'backup-folder' | 'acl' | 'disk-full';

interface Case {
  name: string;
  /** CLI arguments; `BACKUP` is replaced by the backup target of the failure. */
  cli?: string[];
  /** The same through the library. */
  lib?: (manager: CacheManager, backup: string) => Promise<unknown>;
  /** Failures that apply (a backup target only where the command writes one). */
  failures: Failure[];
}

const ALL: Failure[] = ['audit', 'acl'];
const WITH_BACKUP: Failure[] = ['audit', 'backup-folder', 'acl', 'disk-full'];

const CASES: Case[] = [
  { name: 'clear-all', cli: ['clear-all', '--yes', '--backup', 'BACKUP'], lib: (m, b) => m.clearAllCaches({ force: true, backup: b }), failures: WITH_BACKUP },
  { name: 'clear-all --queue', cli: ['clear-all', '--queue', '--yes'], lib: (m) => m.clearAllCaches({ force: true, clearQueueJobs: true }), failures: ALL },
  {
    name: 'clear-old',
    cli: ['clear-old', '--hours', '0.0001', '--yes', '--backup', 'BACKUP'],
    lib: (m, b) => m.clearOldData({ hours: 0.0001, force: true, backup: b }),
    failures: WITH_BACKUP,
  },
  {
    name: 'clear-user',
    cli: ['clear-user', '27821234567', '--yes', '--backup', 'BACKUP'],
    lib: (m, b) => m.clearUserCache('27821234567', { force: true, backup: b }),
    failures: WITH_BACKUP,
  },
  {
    name: 'invalidate family',
    cli: ['invalidate', 'chatList', '--yes', '--backup', 'BACKUP'],
    lib: (m, b) => m.invalidate('chatList', {}, { force: true, backup: b }),
    failures: WITH_BACKUP,
  },
  {
    name: 'invalidate pattern',
    cli: ['invalidate', 'pattern', 'context:*', '--yes', '--backup', 'BACKUP'],
    lib: (m, b) => m.invalidatePattern('context:*', { force: true, backup: b }),
    failures: WITH_BACKUP,
  },
  {
    name: 'invalidate conversation',
    cli: ['invalidate', 'conversation', 'c-1', '--yes'],
    lib: (m) => m.invalidateConversation('c-1', { force: true }),
    failures: ALL,
  },
  { name: 'hook deploy', cli: ['hook', 'deploy'], failures: ALL },
  { name: 'hook pre-deploy', cli: ['hook', 'pre-deploy'], failures: ALL },
  { name: 'maintenance', cli: ['maintenance', '--hours', '0.0001'], lib: (m) => m.performMaintenance({ hours: 0.0001, force: true }), failures: ALL },
  { name: 'queues drain', cli: ['queues', 'drain', 'mail', '--yes'], failures: ALL },
  {
    name: 'queues clean',
    cli: ['queues', 'clean', 'mail', '--state', 'wait', '--grace', '0', '--yes'],
    lib: (m) => m.cleanQueue('mail', { state: 'wait', graceMs: 0, force: true }),
    failures: ALL,
  },
  { name: 'restore', cli: ['restore', 'RESTORE', '--yes'], lib: (m, _b) => m.restore(RESTORE_FILE.value, { force: true }), failures: ALL },
];

const RESTORE_FILE = { value: '' };

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

describe('preflight: every destructive path stops before the first delete', () => {
  let server: ServerHandle;
  let client: Redis;
  let dir: string;
  let base: string;
  let queue: Queue;

  beforeAll(async () => {
    server = await startServer();
    client = new Redis(server.port, '127.0.0.1');
    base = mkdtempSync(path.join(tmpdir(), 'cachectl-preflight-'));
    // A restore file of keys that are gone from the server.
    await client.set('gone:1', 'v');
    await client.set('gone:2', 'v');
    RESTORE_FILE.value = path.join(base, 'gone.cbk');
    const saved = await runCli(['--redis-url', server.url, 'backup', 'pattern', 'gone:*', '--out', RESTORE_FILE.value], { cwd: base });
    expect(saved.code, saved.stderr).toBe(0);
    // A user who may read and connect but not delete, restore or run scripts.
    await client.call('ACL', 'SETUSER', 'limited', 'on', '>limited-pw', '~*', '&*', '+@all', '-unlink', '-del', '-restore', '-evalsha', '-eval', '-fcall');
  }, 30_000);
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
    rmSync(base, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await client.flushall(); // this test's own server
    dir = mkdtempSync(path.join(base, 'run-'));
    writeFileSync(path.join(dir, 'cachectl.config.json'), JSON.stringify({ logs: { dir: path.join(dir, 'logs') } }));
    const pipe = client.pipeline();
    for (let i = 0; i < 300; i++) {
      pipe.set(`chats:d1:c${i}`, VALUE);
      pipe.set(`context:S-${i}:summary`, VALUE, 'EX', 3600);
    }
    pipe.set('user:state:27821234567', VALUE.repeat(100)); // 100 kB: more than the small disk holds
    pipe.set('tenant:default:mapping:conv:c-1', 'wa-1');
    pipe.set('keep:1', 'v');
    await pipe.exec();
    queue = new Queue('mail', { connection: { host: '127.0.0.1', port: server.port } });
    for (let i = 0; i < 5; i++) await queue.add('send', { i });
  });
  afterEach(async () => {
    await queue.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Set up one failure; returns the backup target and the URL to use. */
  async function arrange(failure: Failure, name: string): Promise<{ backup: string; url: string; cleanup: () => void }> {
    // Old enough for --hours 0.0001 (0.36 s): OBJECT IDLETIME counts whole seconds.
    if (name === 'clear-old' || name === 'maintenance') await new Promise((resolve) => setTimeout(resolve, 1100));
    let backup = path.join(dir, 'backup.cbk');
    let cleanup = (): void => undefined;
    if (failure === 'audit') mkdirSync(path.join(dir, 'logs', 'audit.log'), { recursive: true });
    if (failure === 'backup-folder') {
      backup = path.join(dir, 'a-folder');
      mkdirSync(backup);
    }
    if (failure === 'disk-full') {
      const mount = path.join(dir, 'small');
      mkdirSync(mount);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mount]);
      backup = path.join(mount, 'backup.cbk');
      cleanup = () => execFileSync('umount', [mount]);
    }
    const url = failure === 'acl' ? server.url.replace('redis://', 'redis://limited:limited-pw@') : server.url;
    return { backup, url, cleanup };
  }

  const rows = CASES.flatMap((c) => c.failures.map((failure) => ({ ...c, failure, label: `${c.name} × ${failure}` })));

  it.each(rows.filter((r) => r.cli))('CLI $label: exit 2/3/4/7, every key and job as it was', async ({ name, cli, failure }) => {
    if (failure === 'disk-full' && !isRoot) return; // a tmpfs needs root; CI runs as root
    const { backup, url, cleanup } = await arrange(failure, name);
    try {
      const before = await snapshot(client);
      const args = cli!.map((a) => (a === 'BACKUP' ? backup : a === 'RESTORE' ? RESTORE_FILE.value : a));
      const result = await runCli(['--redis-url', url, ...args], { cwd: dir });
      expect(NOTHING_TOUCHED, `${result.code}: ${result.stderr}`).toContain(result.code);
      expect(result.stderr).not.toMatch(/unexpected failure|this is a bug/);
      expect(result.stderr).not.toContain('limited-pw');
      expectSame(before, await snapshot(client));
    } finally {
      cleanup();
    }
  });

  it.each(rows.filter((r) => r.lib))('library $label: a typed error of the same classes, every key and job as it was', async ({ name, lib, failure }) => {
    if (failure === 'disk-full' && !isRoot) return;
    const { backup, url, cleanup } = await arrange(failure, name);
    const connection = await connect({ url });
    const manager = new CacheManager({ connection, config: resolveConfig({ logs: { dir: path.join(dir, 'logs') } }) });
    try {
      const before = await snapshot(client);
      const error = await lib!(manager, backup).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isCachectlError(error), String(error)).toBe(true);
      expect(NOTHING_TOUCHED, String(error)).toContain((error as { exitCode: number }).exitCode);
      expectSame(before, await snapshot(client));
    } finally {
      await manager.close();
      await connection.close();
      cleanup();
    }
  });
});
