// Resharding during a run: slots move between masters (CLUSTER SETSLOT IMPORTING/MIGRATING,
// MIGRATE of their keys, SETSLOT NODE — what `redis-cli --cluster reshard` does) while
// `invalidate pattern` and `clear-all` delete. A run may end 0 only with no selected key left;
// otherwise it is exit 5 naming what it could not finish, in words (never a raw script error), and
// a second run completes. Keys outside the selection are never lost.
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { runCli } from '../helpers/cli.js';
import { hasBinary, startCluster, type ClusterHandle, type ServerBinary } from '../helpers/servers.js';
import { countMatching, json, seed, waitFor, workDir } from './faults-support.js';

const SELECTED = 20_000;
const KEEP = 2_000;
const RUNS = 5;
const MOVED_SLOTS = 600;

interface Summary {
  deleted: number;
  errors?: string[];
}

/** Move `slots` from master `from` to master `to`, key by key, the way redis-cli reshards. */
async function moveSlots(nodes: Redis[], from: Redis, to: Redis, slots: number[]): Promise<void> {
  const fromId = String(await from.call('CLUSTER', 'MYID'));
  const toId = String(await to.call('CLUSTER', 'MYID'));
  const { host, port } = to.options as { host: string; port: number };
  for (const slot of slots) {
    await to.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId);
    await from.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId);
    for (;;) {
      const keys = (await from.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[];
      if (keys.length === 0) break;
      await from.call('MIGRATE', host, port, '', 0, 10_000, 'REPLACE', 'KEYS', ...keys);
    }
    // The new owner first, then the old one, then everyone else (as redis-cli does).
    await to.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId);
    await from.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId);
    await Promise.all(nodes.filter((n) => n !== to && n !== from).map((n) => n.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId)));
  }
}

/** The suite for one server binary (one file per binary, so the two run side by side). */
export function reshardingSuite(binary: ServerBinary): void {
  const run = hasBinary(binary) ? describe : describe.skip;
  run(`resharding during deletes (${binary}, 3 masters)`, () => {
    let cluster: ClusterHandle;
    let work: ReturnType<typeof workDir>;
    let admin: RedisConnection;
    let nodes: Redis[];
    const figures = { runs: 0, exit0: 0, exit5: 0, said: '' };

    beforeAll(async () => {
      cluster = await startCluster({ masters: 3, binary });
      work = workDir();
      admin = await connect({ url: cluster.url });
      nodes = cluster.masters.map((m) => new Redis({ host: m.host, port: m.port, maxRetriesPerRequest: 1 }));
    }, 60_000);
    afterAll(async () => {
      for (const node of nodes ?? []) node.disconnect();
      await admin?.close();
      await cluster?.stop();
      work?.remove();
      console.log(
        `[resharding ${binary}] runs ${figures.runs}: exit 0 ${figures.exit0}, exit 5 ${figures.exit5}, every one truthful; exit 5 said: ${figures.said}`,
      );
    });

    const cli = (args: string[]) => runCli(['--redis-url', cluster.url, '--connect-timeout', '2s', '--command-timeout', '5s', ...args], { cwd: work.dir });

    /** The slots each master serves now (first master first). */
    async function owned(): Promise<number[][]> {
      const ids = await Promise.all(nodes.map(async (n) => String(await n.call('CLUSTER', 'MYID'))));
      const out: number[][] = nodes.map(() => []);
      for (const [start, end, owner] of (await nodes[0]!.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, string]]>) {
        const i = ids.indexOf(owner[2]);
        for (let s = start; s <= end; s++) out[i]!.push(s);
      }
      return out;
    }

    it.each([
      { name: 'invalidate pattern', args: ['invalidate', 'pattern', 'context:*', '--yes', '--json'], selected: ['context:*'], outside: ['keep:*', 'chats:*'] },
      { name: 'clear-all', args: ['clear-all', '--yes', '--json'], selected: ['context:*', 'chats:*'], outside: ['keep:*'] },
    ])(
      `$name: ${RUNS} runs, each resharding 2 × ${MOVED_SLOTS} slots mid-run — exit 0 only with nothing left, 0 keys lost outside`,
      async ({ args, selected, outside }) => {
        for (let run = 0; run < RUNS; run++) {
          const client = new Cluster(cluster.masters, { enableAutoPipelining: true });
          try {
            await seed(client, 'context:S-', SELECTED / 2);
            await seed(client, 'chats:dev:', SELECTED / 2);
            await seed(client, 'keep:', KEEP);
          } finally {
            client.disconnect();
          }
          const total = async (patterns: string[]) => (await Promise.all(patterns.map((p) => countMatching(admin, p)))).reduce((a, b) => a + b, 0);
          const outsideBefore = await total(outside);
          const selectedBefore = await total(selected);

          const running = cli([...args, '--rate', '15000', '--batch', '200']);
          // Once the run has started deleting, move slots both ways round the ring.
          await waitFor(async () => selectedBefore - (await total(selected)) >= 500, 20_000, 'the run to start deleting', 10);
          const slots = await owned();
          const a = run % 3;
          const b = (run + 1) % 3;
          const c = (run + 2) % 3;
          await moveSlots(nodes, nodes[a]!, nodes[b]!, slots[a]!.slice(0, MOVED_SLOTS));
          await moveSlots(nodes, nodes[b]!, nodes[c]!, slots[b]!.slice(-MOVED_SLOTS));
          const result = await running;
          figures.runs++;

          const remaining = await total(selected);
          expect(result.stderr).not.toMatch(/non.local key|Script attempted|unexpected failure|ERR /);
          if (result.code === 0) {
            figures.exit0++;
            expect(remaining, `run ${run} exited 0`).toBe(0);
          } else {
            figures.exit5++;
            figures.said ||= result.stderr.split('\n')[0]!;
            expect(result.code, result.stderr).toBe(5);
            expect(json<Summary>(result.stdout).deleted).toBeLessThanOrEqual(selectedBefore - remaining);
            const again = await cli(args);
            expect(again.code, again.stderr).toBe(0);
            expect(await total(selected)).toBe(0);
          }
          expect(await total(outside)).toBe(outsideBefore);
          // Next round starts from an empty keyspace (this test's own cluster).
          for (const node of nodes) await node.flushall();
        }
      },
      240_000,
    );
  });
}
