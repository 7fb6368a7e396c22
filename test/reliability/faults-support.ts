// Shared pieces of the fault tests: a private working dir with a config file, bulk seeding,
// exact key counts (SCAN on every master of the admin connection) and polling.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Cluster } from 'ioredis';
import type { ConfigInput } from '../../src/config/schema.js';
import type { RedisClient, RedisConnection } from '../../src/redis/connect.js';
import { countMatching as countAll } from '../helpers/count.js';

/** A temp dir with `cachectl.config.json` (default families, logs inside the dir). */
export function workDir(extra: Partial<ConfigInput> = {}): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-faults-'));
  const input: ConfigInput = { logs: { dir: path.join(dir, 'logs') }, ...extra } as ConfigInput;
  writeFileSync(path.join(dir, 'cachectl.config.json'), JSON.stringify(input));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Write `count` string keys `<prefix><i>` (value `<value><i>`). Standalone: pipelined MSETs.
 * Cluster: single-key SETs in parallel chunks (a pipeline or MSET across slots is refused).
 */
export async function seed(client: RedisClient, prefix: string, count: number, value = 'v'): Promise<void> {
  if (client instanceof Cluster) {
    for (let i = 0; i < count; i += 2000) {
      await Promise.all(Array.from({ length: Math.min(2000, count - i) }, (_, k) => client.set(`${prefix}${i + k}`, `${value}${i + k}`)));
    }
    return;
  }
  for (let i = 0; i < count; i += 20_000) {
    const pipeline = client.pipeline();
    const end = Math.min(count, i + 20_000);
    for (let j = i; j < end; j += 1000) {
      const args: string[] = [];
      for (let k = j; k < Math.min(end, j + 1000); k++) args.push(`${prefix}${k}`, `${value}${k}`);
      pipeline.mset(...args);
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }
}

/** Exact number of keys matching `pattern`, over every master (client-side SCAN, admin connection). */
export async function countMatching(connection: RedisConnection, pattern: string): Promise<number> {
  return countAll(connection, pattern, 5000);
}

/** Sum of DBSIZE over the masters. */
export async function totalKeys(connection: RedisConnection): Promise<number> {
  const sizes = await Promise.all(connection.masters().map((n) => n.dbsize()));
  return sizes.reduce((a, b) => a + b, 0);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `check` every few ms until true; throws after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string, everyMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Parse the JSON document a `--json` run printed on stdout. */
export function json<T = Record<string, unknown>>(stdout: string): T {
  return JSON.parse(stdout) as T;
}

/** Fault bookkeeping printed at the end of the run (the issue asks for these figures). */
export const figures = { injected: 0, survived: 0, keysLostOutside: 0 };
