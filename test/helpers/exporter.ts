// The exporter's test fixture: a keyspace of known content (the stats seed plus TTL breaches,
// tenants, a real BullMQ queue, a maintenance record and an invalidation consumer group), the
// figures the exporter must report for it, and small HTTP helpers.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { ConfigInput } from '../../src/config/schema.js';
import { resolveConfig, type CachectlConfig } from '../../src/config/load.js';
import { recordRun } from '../../src/core/records/runs.js';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { seedQueue } from '../../scripts/lib/seed.mjs';
import { parsePrometheus, promValue, type PromFamily } from './prom-parse.js';
import { countKeys, seedConfig, seedPlan, writeSeed } from './stats-seed.js';
import { ROOT } from './cli.js';

export const QUEUE = 'exp-messages';
export const QUEUE_COUNTS = { done: 3, failing: 2, waiting: 4 };

export interface ExporterExpectation {
  /** family → keys, keys without TTL, keys above ttlSeconds (null: the family sets none). */
  families: Record<string, { keys: number; withoutTtl: number; aboveTtl: number | null }>;
  tenants: Record<string, number>;
  unknownKeys: number;
  queueKeys: number;
  totalKeys: number;
}

export function exporterConfigInput(): ConfigInput {
  return seedConfig('bull', { maintenance: { schedule: '0 2 * * *', timezone: 'UTC' } });
}

export function exporterConfig(): CachectlConfig {
  return resolveConfig(exporterConfigInput());
}

/** Write the fixture to an empty server; returns what the exporter must report. */
export async function seedExporterTarget(url: string): Promise<ExporterExpectation> {
  const client = new Redis(url);
  const connection: RedisConnection = await connect({ url });
  try {
    const { writes, expected } = seedPlan(1);
    await writeSeed(client, writes);
    // Seven chatList keys live longer than the family's ttlSeconds (300); three convMapping keys
    // belong to a tenant the config does not list.
    for (let i = 0; i < 7; i++) await client.set(`chats:device-9:long-${i}`, 'v', 'EX', 100_000);
    for (let i = 0; i < 3; i++) await client.set(`tenant:initech:mapping:conv:x-${i}`, 'v', 'EX', 3600);
    await seedQueue(url, QUEUE, QUEUE_COUNTS);
    // Invalidation: 5 events, a group that has been handed 2 of them (pending), 1 dead letter.
    for (let i = 0; i < 5; i++) await client.xadd('cachectl:invalidations', '*', 'type', 'pattern', 'pattern', `context:S-${i}*`);
    await client.xgroup('CREATE', 'cachectl:invalidations', 'cachectl', '0');
    await client.xreadgroup('GROUP', 'cachectl', 'worker-1', 'COUNT', 2, 'STREAMS', 'cachectl:invalidations', '>');
    await client.xadd('cachectl:invalidations:dead', '*', 'reason', 'malformed');
    // A failed maintenance run three days ago, and nothing since: overdue.
    const started = new Date(Date.now() - 3 * 86_400_000);
    await recordRun(connection, 'cachectl:maintenance:runs', {
      id: 'run-1',
      startedAt: started.toISOString(),
      finishedAt: new Date(started.getTime() + 5000).toISOString(),
      status: 'failed',
      hours: 24,
      removed: { families: { chatList: 12 }, queues: {} },
      errors: ['lock lost'],
      host: 'test-host',
    });

    const families: ExporterExpectation['families'] = {};
    const config = exporterConfig();
    for (const family of Object.values(config.families)) {
      const e = expected.families[family.name] ?? { keys: 0, withoutTtl: 0 };
      families[family.name] = { keys: e.keys, withoutTtl: e.withoutTtl, aboveTtl: family.ttlSeconds === undefined ? null : 0 };
    }
    families.chatList = { keys: families.chatList!.keys + 7, withoutTtl: families.chatList!.withoutTtl, aboveTtl: 7 };
    families.convMapping = { ...families.convMapping!, keys: families.convMapping!.keys + 3 };
    const queueKeys = await countKeys(client, 'bull:*');
    // Tenants: convMapping alternates acme/globex (150 each), waMapping is acme (200), and one
    // unknown acme key; initech is not configured.
    const tenants = { acme: 150 + 200 + 1, globex: 150, default: 0, _other: 3 };
    // The two invalidation streams and the run record are keys of no family too.
    const unknownKeys = expected.unknownKeys + 3;
    return { families, tenants, unknownKeys, queueKeys, totalKeys: await client.dbsize() };
  } finally {
    await connection.close();
    client.disconnect();
  }
}

/** GET a path of the exporter. */
export async function get(base: string, path: string): Promise<{ status: number; type: string | null; body: string }> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

/** Scrape and parse `/metrics` (strictly: a malformed exposition fails the test). */
export async function scrape(base: string): Promise<Map<string, PromFamily>> {
  const { status, body } = await get(base, '/metrics');
  if (status !== 200) throw new Error(`/metrics answered ${status}: ${body}`);
  return parsePrometheus(body);
}

/** Scrape until `ready` says so (e.g. the first refresh is in), or fail after `timeoutMs`. */
export async function scrapeUntil(base: string, ready: (m: Map<string, PromFamily>) => boolean, timeoutMs = 20_000): Promise<Map<string, PromFamily>> {
  const deadline = Date.now() + timeoutMs;
  let last: Map<string, PromFamily> | undefined;
  while (Date.now() < deadline) {
    last = await scrape(base);
    if (ready(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`metrics not ready after ${timeoutMs} ms; cachectl_up=${last ? promValue(last, 'cachectl_up') : 'none'}`);
}

export { promValue };

/** Metric names in the tables of docs/monitoring.md (the first column of each row). */
export function documentedMetrics(): Set<string> {
  const names = new Set<string>();
  for (const line of readFileSync(path.join(ROOT, 'docs/monitoring.md'), 'utf8').split('\n')) {
    if (!line.startsWith('| `cachectl_')) continue;
    for (const m of line.split('|')[1]!.matchAll(/`(cachectl_[a-z0-9_]+)`/g)) names.add(m[1]!);
  }
  return names;
}
