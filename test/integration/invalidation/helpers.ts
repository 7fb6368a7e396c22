// Helpers for the invalidation tests: a config whose families, queue prefix and streams all live
// under one random prefix, and small waiting utilities.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveConfig, type CachectlConfig } from '../../../src/config/load.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import type { RedisClient } from '../../../src/redis/connect.js';

type InvalidationInput = NonNullable<ConfigInput['invalidation']>;

/** The config input: the default families and rules, moved under `prefix`. */
export function configInput(url: string, prefix: string, invalidation: InvalidationInput = {}, extra: ConfigInput = {}): ConfigInput {
  return {
    redis: { url },
    tenants: ['acme', 'globex'],
    families: {
      userState: { template: `${prefix}user:state:{phone}` },
      convMapping: { template: `${prefix}tenant:{tenant}:mapping:conv:{conversationId}` },
      waMapping: { template: `${prefix}tenant:{tenant}:mapping:wa:{waId}` },
      chatList: { template: `${prefix}chats:{deviceId}:{chatId}` },
      context: { template: `${prefix}context:{storyId}*` },
      ...extra.families,
    },
    queues: { prefixes: [`${prefix}bull`] },
    ...extra,
    invalidation: { stream: `${prefix}inv`, deadLetterStream: `${prefix}dead`, ...invalidation },
  } as ConfigInput;
}

export function testConfig(url: string, prefix: string, invalidation: InvalidationInput = {}, extra: ConfigInput = {}): CachectlConfig {
  return resolveConfig(configInput(url, prefix, invalidation, extra));
}

let configDir: string | undefined;

/** Write the config input to a temp file (for CLI runs); `removeConfigFiles()` in afterAll. */
export function writeConfigFile(input: ConfigInput): string {
  configDir ??= mkdtempSync(path.join(tmpdir(), 'cachectl-inv-'));
  const file = path.join(mkdtempSync(path.join(configDir, 'c-')), 'cachectl.config.json');
  const { redis: _redis, ...rest } = input;
  writeFileSync(file, JSON.stringify(rest));
  return file;
}

export function removeConfigFiles(): void {
  if (configDir) rmSync(configDir, { recursive: true, force: true });
  configDir = undefined;
}

/** How many of `keys` exist (one EXISTS per key: on a cluster each routes to its node). */
export async function countExisting(client: RedisClient, keys: string[]): Promise<number> {
  const replies = await Promise.all(keys.map((k) => client.exists(k)));
  return replies.reduce((a, b) => a + b, 0);
}

/** Poll `check` until it returns true (or fail after `timeoutMs`). */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Pending entries of a group (0 when the stream or group does not exist). */
export async function pendingCount(client: RedisClient, stream: string, group = 'cachectl'): Promise<number> {
  try {
    const summary = (await client.call('XPENDING', stream, group)) as [number, ...unknown[]];
    return Number(summary[0]);
  } catch {
    return 0;
  }
}

/** Fill a server with `count` filler keys (pipelined MSET), so a keyspace pass takes a while. */
export async function fill(client: RedisClient, prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 50_000) {
    const pipeline = client.pipeline();
    for (let j = i; j < Math.min(count, i + 50_000); j += 1000) {
      const args: string[] = [];
      for (let k = j; k < Math.min(count, j + 1000); k++) args.push(`${prefix}filler:${k}`, 'x');
      pipeline.mset(...args);
    }
    await pipeline.exec();
  }
}
