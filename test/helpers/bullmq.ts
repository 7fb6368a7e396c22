// Real BullMQ producers and workers for queue tests: one ioredis client per role, the right
// kind (Redis or Cluster) for the target, closed by `closeAll()`.
import { randomBytes } from 'node:crypto';
import { Queue, Worker, type Processor, type WorkerOptions } from 'bullmq';
import { afterAll } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { parseRedisUrl } from '../../src/redis/options.js';
import type { ServerTarget } from './targets.js';

export type BullClient = Redis | Cluster;

/** The prefix tests use on a target: clusters need a hash tag so a queue's keys share a slot. */
export function testPrefix(target: ServerTarget): string {
  return target.cluster ? '{bull}' : 'bull';
}

/** A prefix of its own (hash-tagged on a cluster), for tests that act on every queue (--all). */
export function isolatedPrefix(target: ServerTarget, label = 'iso'): string {
  const tag = `bull-${label}-${randomBytes(3).toString('hex')}`;
  return target.cluster ? `{${tag}}` : tag;
}

/** A queue name no other test uses. */
export function randomQueueName(label = 'q'): string {
  return `t-${label}-${randomBytes(4).toString('hex')}`;
}

/** Opens BullMQ clients and objects for one test and closes all of them afterwards. */
export class BullHarness {
  private readonly clients: BullClient[] = [];
  private readonly closers: Array<() => Promise<unknown>> = [];

  constructor(
    readonly target: ServerTarget,
    readonly prefix = testPrefix(target),
  ) {}

  /** A new client suited to BullMQ (workers need maxRetriesPerRequest: null). */
  client(): BullClient {
    const { host, port } = parseRedisUrl(this.target.url);
    const client: BullClient = this.target.cluster
      ? new Cluster([{ host, port }], { redisOptions: { maxRetriesPerRequest: null } })
      : new Redis({ host, port, maxRetriesPerRequest: null });
    client.on('error', () => undefined);
    this.clients.push(client);
    return client;
  }

  queue(name: string, prefix = this.prefix): Queue {
    const queue = new Queue(name, { connection: this.client(), prefix });
    this.closers.push(() => queue.close());
    return queue;
  }

  worker(name: string, processor: Processor, options: Partial<WorkerOptions> = {}, prefix = this.prefix): Worker {
    const worker = new Worker(name, processor, { connection: this.client(), prefix, ...options });
    this.closers.push(() => worker.close(true));
    return worker;
  }

  async closeAll(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) await close().catch(() => undefined);
    await Promise.all(this.clients.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
  }
}

/**
 * Wait until `check()` is true (polling), or fail after `timeoutMs`, also when a check itself
 * never settles (a wedged client): the failure then names what was awaited.
 */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), Math.max(0, until - Date.now()))));
    const result = await Promise.race([Promise.resolve(check()), late]).finally(() => clearTimeout(timer));
    if (result === true) return;
    if (result === 'late' || Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Folders made by `tempCwd()` in this test file, removed after its tests. */
const tempDirs: string[] = [];
afterAll(async () => {
  const { rm } = await import('node:fs/promises');
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * A temporary working directory for a CLI run, with an empty `cachectl.config.json` so that its
 * logs/ and backups land there (next to the config file); removed after the file's tests.
 */
export async function tempCwd(): Promise<string> {
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const dir = await mkdtemp(path.join(tmpdir(), 'cachectl-queues-'));
  await writeFile(path.join(dir, 'cachectl.config.json'), '{}\n');
  tempDirs.push(dir);
  return dir;
}

/**
 * Make finished jobs look `ageMs` older: move their finishedOn (hash field and zset score), as if
 * they had finished back then. Test setup only.
 */
export async function ageFinishedJobs(client: BullClient, queueKey: string, state: 'completed' | 'failed', ids: string[], ageMs: number): Promise<void> {
  const when = Date.now() - ageMs;
  for (const id of ids) {
    await client.hset(`${queueKey}:${id}`, 'finishedOn', String(when));
    await client.zadd(`${queueKey}:${state}`, 'XX', when, id);
  }
}

/** Collect a worker's 'error' and 'failed' events (the test asserts there are none). */
export function watchWorker(worker: Worker): string[] {
  const problems: string[] = [];
  worker.on('error', (error) => problems.push(`error: ${error.message}`));
  worker.on('failed', (job, error) => problems.push(`failed ${job?.id}: ${error.message}`));
  return problems;
}

/** A promise and the function that resolves it (to hold a job active until the test says so). */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}
