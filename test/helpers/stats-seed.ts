// Known content for stats/doctor tests: six key families (with and without TTLs), keys of no
// family in a few namespaces (one of them binary), and the expected figures. Every count here is
// what the assertions compare against, so it is computed from the same loops that write the keys.
import { Cluster, type Redis } from 'ioredis';
import type { ConfigInput } from '../../src/config/schema.js';
import { countOnNode } from './count.js';

export type SeedClient = Redis | Cluster;

/** The config the seeded content is described by (defaults plus a sixth family). */
export function seedConfig(queuePrefix: string, extra: Partial<ConfigInput> = {}): ConfigInput {
  return {
    tenants: ['acme', 'globex'],
    families: {
      sessions: { template: 'session:{sessionId}', ttlSeconds: 43200 },
      // The mappings as these fixtures were written: without the default 24 h TTL policy (their
      // 7-day and TTL-less keys exercise the "no policy" paths of stats and the exporter).
      convMapping: { template: 'tenant:{tenant}:mapping:conv:{conversationId}' },
      waMapping: { template: 'tenant:{tenant}:mapping:wa:{waId}', user: 'waId' },
    },
    queues: { prefixes: [queuePrefix] },
    ...extra,
  };
}

export interface SeedExpectation {
  families: Record<string, { keys: number; withoutTtl: number }>;
  /** Namespace label (as stats shows it) → keys. */
  namespaces: Record<string, number>;
  unknownKeys: number;
  /** Keys written by this seed (queue keys not included). */
  total: number;
}

type Write = [key: Buffer | string, ttlSeconds: number | null];

/** Every key to write at `scale` (1 = a few hundred keys per family). */
export function seedPlan(scale = 1): { writes: Write[]; expected: SeedExpectation } {
  const writes: Write[] = [];
  const families: SeedExpectation['families'] = {};
  const namespaces: Record<string, number> = {};
  const family = (name: string, key: string, ttl: number | null) => {
    writes.push([key, ttl]);
    const f = (families[name] ??= { keys: 0, withoutTtl: 0 });
    f.keys++;
    if (ttl === null) f.withoutTtl++;
  };
  const unknown = (label: string, key: Buffer | string) => {
    writes.push([key, null]);
    namespaces[label] = (namespaces[label] ?? 0) + 1;
  };
  for (let i = 0; i < 400 * scale; i++) family('userState', `user:state:+2782${String(i).padStart(7, '0')}`, i % 10 === 0 ? null : 86400);
  for (let i = 0; i < 300 * scale; i++) family('convMapping', `tenant:${i % 2 ? 'acme' : 'globex'}:mapping:conv:c0nv-${i}-4c1d`, 7 * 86400);
  for (let i = 0; i < 200 * scale; i++) family('waMapping', `tenant:acme:mapping:wa:+2783${i}`, null);
  for (let i = 0; i < 250 * scale; i++) family('chatList', `chats:device-${i % 5}:chat-${i}`, 300);
  for (let i = 0; i < 100 * scale; i++) {
    family('context', `context:STORY-${i}`, i % 20 === 0 ? null : 3600);
    family('context', `context:STORY-${i}:summary`, 3600);
  }
  for (let i = 0; i < 150 * scale; i++) family('sessions', `session:s-${i}`, 43200);
  for (let i = 0; i < 60 * scale; i++) unknown('feature-flags:*', `feature-flags:flag-${i}`);
  for (let i = 0; i < 30 * scale; i++) unknown('metrics:*', `metrics:daily:${i}`);
  for (let i = 0; i < 10 * scale; i++) unknown('(no namespace)', `legacy-${i}`);
  for (let i = 0; i < 5 * scale; i++) unknown('"bin\\x00ns:"*', Buffer.concat([Buffer.from('bin\x00ns:'), Buffer.from([0xff, i & 0xff, (i >> 8) & 0xff])]));
  // Near misses: look like a family, belong to none.
  unknown('user:*', 'user:stat:+27820000001');
  unknown('tenant:*', 'tenant:acme:mapping:other:1');
  const unknownKeys = Object.values(namespaces).reduce((a, b) => a + b, 0);
  return { writes, expected: { families, namespaces, unknownKeys, total: writes.length } };
}

/** Write the plan (pipelined for a server, concurrent single commands for a cluster). */
export async function writeSeed(client: SeedClient, writes: Write[]): Promise<void> {
  const CHUNK = 5000;
  for (let i = 0; i < writes.length; i += CHUNK) {
    const chunk = writes.slice(i, i + CHUNK);
    if (client instanceof Cluster) {
      await Promise.all(chunk.map(([key, ttl]) => (ttl === null ? client.set(key, 'v') : client.set(key, 'v', 'EX', ttl))));
    } else {
      const pipeline = client.pipeline();
      for (const [key, ttl] of chunk) {
        if (ttl === null) pipeline.set(key, 'v');
        else pipeline.set(key, 'v', 'EX', ttl);
      }
      await pipeline.exec();
    }
  }
}

/** Keys under a prefix, counted independently of cachectl (SCAN MATCH on every master). */
export async function countKeys(client: SeedClient, match: string): Promise<number> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  let total = 0;
  for (const node of nodes) total += await countOnNode(node, match);
  return total;
}
