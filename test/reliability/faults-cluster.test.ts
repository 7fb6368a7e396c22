// Faults on a cluster: a master is SIGKILLed and its replica takes over (CLUSTER FAILOVER TAKEOVER)
// while a run is scanning, or between runs of a long-lived client. A run must complete or stop with
// an error naming the node / slots it did not cover — never report success while selected keys
// remain — and keys outside the selection must all survive (the replicas hold every key).
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheManager } from '../../src/core/cache-manager.js';
import { resolveConfig } from '../../src/config/load.js';
import { KeyGuard } from '../../src/core/guard.js';
import { newRun } from '../../src/core/keyspace/execute.js';
import { keyspacePass } from '../../src/core/keyspace/pass.js';
import { ALWAYS } from '../../src/core/selection.js';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { runCli } from '../helpers/cli.js';
import { startCluster, type ClusterHandle, type ServerHandle } from '../helpers/servers.js';
import { countMatching, figures, json, seed, waitFor, workDir } from './faults-support.js';
import { countOnNode } from '../helpers/count.js';

const SELECTED = 24_000;
const KEEP = 2_000;
const QUEUE = 300;

/** The slots startCluster gives master `i` of 3 (an even split). */
const slotRange = (i: number): string => `${Math.floor((i * 16384) / 3)}-${Math.floor(((i + 1) * 16384) / 3) - 1}`;

interface Summary {
  deleted: number;
  errors?: string[];
}

describe('cluster: a master dies and its replica takes over during a run', () => {
  let cluster: ClusterHandle;
  let work: ReturnType<typeof workDir>;
  const dead = new Set<number>();

  beforeAll(async () => {
    // Only the takeovers these tests order change the topology.
    cluster = await startCluster({ masters: 3, replicasPerMaster: 1, autoFailover: false });
    work = workDir();
  });
  afterAll(async () => {
    await cluster?.stop();
    work?.remove();
    console.log(
      `[faults-cluster] faults injected ${figures.injected}, survived ${figures.survived}, keys lost outside the selection ${figures.keysLostOutside}`,
    );
  });

  const living = (): ServerHandle[] => cluster.nodes.filter((_, i) => !dead.has(i));
  const url = (): string => living()[0]!.url;
  const cli = (args: string[]) => runCli(['--redis-url', url(), '--connect-timeout', '2s', '--command-timeout', '3s', ...args], { cwd: work.dir });

  async function admin(): Promise<RedisConnection> {
    return connect({ url: url() });
  }

  /** Write the keys through a cluster client (auto-pipelined per node). */
  async function seedAll(tag: string): Promise<void> {
    const seeder = new Cluster([{ host: '127.0.0.1', port: living()[0]!.port }], { enableAutoPipelining: true });
    try {
      const groups: Array<[string, number]> = [
        [`${tag}:context:S-`, SELECTED],
        [`${tag}:keep:`, KEEP],
        [`bull:${tag}:`, QUEUE],
      ];
      for (const [prefix, count] of groups) {
        for (let i = 0; i < count; i += 4000) {
          await Promise.all(Array.from({ length: Math.min(4000, count - i) }, (_, k) => seeder.set(`${prefix}${i + k}`, 'v')));
        }
      }
      // Every write reached the replicas before we start killing masters.
      await Promise.all(seeder.nodes('master').map((n) => n.call('WAIT', '1', '2000')));
    } finally {
      seeder.disconnect();
    }
  }

  /** SIGKILL master `index` and promote its replica; resolves once every living node agrees. */
  async function failover(index: number): Promise<void> {
    await killMaster(index);
    await promote(index);
  }

  async function killMaster(index: number): Promise<void> {
    await cluster.nodes[index]!.kill();
    dead.add(index);
    figures.injected++;
  }

  async function clusterState(index: number): Promise<string> {
    const node = cluster.nodes[index]!;
    const client = new Redis({ host: node.host, port: node.port, maxRetriesPerRequest: 1 });
    try {
      return /cluster_state:(\w+)/.exec(String(await client.call('CLUSTER', 'INFO')))?.[1] ?? '';
    } finally {
      client.disconnect();
    }
  }

  /** CLUSTER FAILOVER TAKEOVER on the replica of dead master `index`; resolves once every living node agrees. */
  async function promote(index: number): Promise<void> {
    const master = cluster.nodes[index]!;
    const replica = cluster.nodes[3 + index]!;
    let last = 'not checked yet';
    let ordered = 0;
    await waitFor(
      async () => {
        // (Re)order the takeover until the replica reports itself master: a command lost to a busy
        // node must not leave the test waiting for a takeover that was never made.
        if (Date.now() - ordered > 5_000) {
          const client = new Redis({ host: replica.host, port: replica.port, maxRetriesPerRequest: 1 });
          try {
            const role = String(await client.call('ROLE'));
            if (!role.startsWith('master')) await client.call('CLUSTER', 'FAILOVER', 'TAKEOVER');
          } finally {
            client.disconnect();
          }
          ordered = Date.now();
        }
        last = await disagreement(master.port);
        return last === '';
      },
      45_000, // a loaded machine (the whole suite beside it) can take this long to agree
      `the replica of :${master.port} to take over`,
      50,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last seen: ${last}`);
    });
  }

  /** '' when every living node serves every slot range from a master other than `deadPort`; else why not. */
  async function disagreement(deadPort: number): Promise<string> {
    for (const node of living()) {
      const c = new Redis({ host: node.host, port: node.port, lazyConnect: true, maxRetriesPerRequest: 0 });
      try {
        await c.connect();
        const info = String(await c.call('CLUSTER', 'INFO'));
        const state = /cluster_state:(\w+)/.exec(info)?.[1];
        if (state !== 'ok') {
          const view = String(await c.call('CLUSTER', 'NODES'))
            .split('\n')
            .filter(Boolean)
            .map((l) => l.split(' ').slice(1, 3).join(' '))
            .join('; ');
          const ranges = ((await c.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>).map((r) => `${r[0]}-${r[1]}@${r[2][1]}`).join(',');
          const fields = info
            .split(/\r?\n/)
            .filter((l) => /^cluster_(slots|known|size|current_epoch|my_epoch)/.test(l))
            .join(' ');
          return `:${node.port} says cluster_state:${state} (its view: ${view}; slots ${ranges}; ${fields})`;
        }
        const ranges = (await c.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, ...unknown[]], ...unknown[]]>;
        const stale = ranges.find((r) => Number(r[2][1]) === deadPort);
        if (stale) return `:${node.port} still routes slots ${stale[0]}-${stale[1]} to :${deadPort}`;
      } finally {
        c.disconnect();
      }
    }
    return '';
  }

  /** Poll the masters' DBSIZE (each on its own connection) until `dropped` keys are gone. */
  async function afterDrop(dropped: number): Promise<void> {
    const masters = cluster.nodes.filter((_, i) => i < 3 && !dead.has(i)).concat(cluster.nodes.filter((_, i) => i >= 3 && dead.has(i - 3)));
    const clients = masters.map((n) => new Redis({ host: n.host, port: n.port, maxRetriesPerRequest: 0, retryStrategy: () => null }));
    const total = async () => (await Promise.all(clients.map((c) => c.dbsize()))).reduce((a, b) => a + b, 0);
    try {
      const before = await total();
      await waitFor(async () => before - (await total()) >= dropped, 20_000, `${dropped} deletions`, 2);
    } finally {
      for (const c of clients) c.disconnect();
    }
  }

  /**
   * Exact count of keys matching `pattern`, read straight from the node holding each third of the
   * slots (the replica once its master is dead: it has every key, and SCAN works on a replica).
   * No cluster client: one cannot even connect while cluster_state is fail.
   */
  async function countDirect(pattern: string): Promise<number> {
    let total = 0;
    for (let i = 0; i < 3; i++) {
      const node = cluster.nodes[dead.has(i) ? 3 + i : i]!;
      const client = new Redis({ host: node.host, port: node.port, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        total += await countOnNode(client, pattern, 5000);
      } finally {
        client.disconnect();
      }
    }
    return total;
  }

  async function outsideIntact(_connection: RedisConnection | undefined, tag: string): Promise<void> {
    for (const [pattern, expected] of [
      [`${tag}:keep:*`, KEEP],
      [`bull:${tag}:*`, QUEUE],
    ] as const) {
      const found = await countDirect(pattern);
      figures.keysLostOutside += Math.max(0, expected - found);
      expect(found, pattern).toBe(expected);
    }
  }

  it('invalidate pattern (CLI): a master killed mid-scan → exit 5 naming the node and its slots; a re-run completes', async () => {
    const tag = 'a';
    await seedAll(tag);
    const deadPort = cluster.nodes[1]!.port;
    const running = cli(['invalidate', 'pattern', `${tag}:context:*`, '--yes', '--json', '--rate', '8000', '--batch', '100']);
    await afterDrop(2_000);
    await failover(1);
    const result = await running;
    const summary = json<Summary>(result.stdout);
    const check = await admin();
    try {
      const remaining = await countMatching(check, `${tag}:context:*`);
      // Never success while selected keys remain.
      if (result.code === 0) expect(remaining).toBe(0);
      else {
        expect(result.code, result.stderr).toBe(5);
        expect(remaining).toBeGreaterThan(0);
        expect(SELECTED - remaining).toBeGreaterThanOrEqual(summary.deleted);
        expect(summary.errors?.join('\n')).toMatch(new RegExp(`127\\.0\\.0\\.1:${deadPort} \\(slots ${slotRange(1)}\\)`));
        expect(result.stderr).toMatch(new RegExp(`stopped part-way: 127\\.0\\.0\\.1:${deadPort} \\(slots ${slotRange(1)}\\)`));
      }
      await outsideIntact(check, tag);
      const again = await cli(['invalidate', 'pattern', `${tag}:context:*`, '--yes', '--json']);
      expect(again.code, again.stderr).toBe(0);
      expect(json<Summary>(again.stdout).deleted).toBe(remaining);
      expect(await countMatching(check, `${tag}:context:*`)).toBe(0);
      await outsideIntact(check, tag);
      figures.survived++;
    } finally {
      await check.close();
    }
  }, 120_000);

  it('a long-lived client (library): a lost master is reported with its slots, never skipped; after the takeover the same client completes', async () => {
    const tag = 'b';
    await seedAll(tag);
    const connection = await admin();
    const config = resolveConfig({ logs: { dir: work.dir } });
    const manager = new CacheManager({ connection, config });
    const remaining = async (): Promise<number> => {
      await outsideIntact(undefined, tag);
      return countDirect(`${tag}:context:*`);
    };
    try {
      const deadPort = cluster.nodes[2]!.port;
      const slots = new RegExp(`slots ${slotRange(2)} of 127\\.0\\.0\\.1:${deadPort} not scanned|127\\.0\\.0\\.1:${deadPort} \\(slots ${slotRange(2)}\\)`);
      // A first run opens a connection to every master (as a service's earlier work would).
      expect((await manager.invalidatePattern(`${tag}:context:*`, { dryRun: true })).matched).toBe(SELECTED);
      // Its replica waits for an explicit takeover (autoFailover: false), so the API call below always meets
      // a master that is gone: the cluster first redirects to it, then answers CLUSTERDOWN.
      await killMaster(2);
      // The client drops the dead node from its pool; its slot map still names it for 10923-16383.
      await waitFor(() => connection.masters().length === 2, 5_000, 'the client to drop the dead master', 20);

      // The engine, given that stale view, refuses to report a pass over two thirds of the slots.
      const run = newRun(connection, config, 'invalidate', new KeyGuard(config));
      await keyspacePass(
        run,
        [{ target: run.addTarget({ label: 'pattern', kind: 'pattern' }), pattern: Buffer.from(`${tag}:context:*`), condition: ALWAYS }],
        'pattern',
      );
      expect(() => run.finish(['pattern'])).toThrow(slots);
      expect(await remaining()).toBe(SELECTED);

      // Through the API (slot map reloaded first), before and after the cluster notices: the lost
      // slots are named, whatever the live masters answer for them (MOVED to the dead node, then
      // CLUSTERDOWN) — never a raw redirection error from a check made before the pass.
      await expect(manager.invalidatePattern(`${tag}:context:*`, { force: true })).rejects.toThrow(slots);
      await waitFor(async () => (await clusterState(0)) === 'fail', 10_000, 'the cluster to notice the lost master', 50);
      await expect(manager.invalidatePattern(`${tag}:context:*`, { force: true })).rejects.toThrow(slots);
      expect(await remaining()).toBeGreaterThan(0);

      await promote(2);
      const writer = await admin();
      await seed(writer.client, `${tag}:context:again-`, 300);
      await writer.close();
      const summary = await manager.invalidatePattern(`${tag}:context:*`, { force: true });
      expect(summary.errors).toBeUndefined();
      expect(await remaining()).toBe(0);
      const listed: Buffer[] = [];
      for await (const { key } of manager.keys({ pattern: `${tag}:keep:*` })) listed.push(key);
      expect(listed.length).toBe(KEEP);
      const saved = await manager.backup([{ pattern: `${tag}:keep:*` }], { out: path.join(work.dir, 'keep.cbk') });
      expect(saved.keys).toBe(KEEP);
      figures.survived++;
    } finally {
      await manager.close();
      await connection.close();
    }
  }, 120_000);

  it('clear-all (CLI) with a master killed mid-run: never exit 0 with selected keys left; 0 keys lost outside', async () => {
    const tag = 'c';
    // clear-all works on the default families, so the selection here is context:* and chats:*.
    const seeder = new Cluster([{ host: '127.0.0.1', port: living()[0]!.port }], { enableAutoPipelining: true });
    try {
      for (const prefix of ['context:C-', 'chats:dev:']) {
        for (let i = 0; i < SELECTED / 2; i += 4000) {
          await Promise.all(Array.from({ length: Math.min(4000, SELECTED / 2 - i) }, (_, k) => seeder.set(`${prefix}${i + k}`, 'v')));
        }
      }
      await Promise.all(seeder.nodes('master').map((n) => n.call('WAIT', '1', '2000')));
    } finally {
      seeder.disconnect();
    }
    await seedAll(tag); // keep:* and bull:* are outside clear-all's selection
    const running = cli(['clear-all', '--yes', '--json', '--rate', '8000', '--batch', '100']);
    await afterDrop(2_000);
    await failover(0);
    const result = await running;
    const check = await admin();
    try {
      const remaining = (await countMatching(check, 'context:*')) + (await countMatching(check, 'chats:*'));
      if (result.code === 0) expect(remaining).toBe(0);
      else {
        expect(result.code, result.stderr).toBe(5);
        expect(remaining).toBeGreaterThan(0);
        expect(json<Summary>(result.stdout).errors?.join('\n')).toMatch(new RegExp(`\\(slots ${slotRange(0)}\\)`));
      }
      await outsideIntact(check, tag);
      const again = await cli(['clear-all', '--yes', '--json']);
      expect(again.code, again.stderr).toBe(0);
      expect((await countMatching(check, 'context:*')) + (await countMatching(check, 'chats:*'))).toBe(0);
      await outsideIntact(check, tag);
      figures.survived++;
    } finally {
      await check.close();
    }
  }, 120_000);
});
