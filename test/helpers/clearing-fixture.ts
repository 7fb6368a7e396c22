// A private namespace for clearing tests on a shared server: every family template (and the
// queue prefixes) starts with a random prefix, so clear-all and family patterns only ever reach
// this test's keys. Also a temp working dir holding the config file and the audit log.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import { resolveConfig, type CachectlConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { connect, type RedisConnection } from '../../src/redis/connect.js';
import { runCli, type CliResult } from './cli.js';
import { randomPrefix, type ServerTarget } from './targets.js';
export { countMatching } from './count.js';

export interface ClearingFixture {
  prefix: string;
  dir: string;
  input: ConfigInput;
  config: CachectlConfig;
  connection: RedisConnection;
  client: Redis | Cluster;
  /** Run the CLI in-process in the fixture's dir against the target server. */
  cli(args: string[], options?: { signal?: AbortSignal; stdin?: string }): Promise<CliResult>;
  /** Audit log lines written so far (parsed). */
  audit(): Array<Record<string, unknown>>;
  /** Which of these keys exist. */
  existing(keys: Array<string | Buffer>): Promise<string[]>;
  close(): Promise<void>;
}

export function familiesFor(p: string): NonNullable<ConfigInput['families']> {
  return {
    userState: { template: `${p}user:state:{phone}`, user: 'phone', userFormat: 'any' },
    convMapping: { template: `${p}tenant:{tenant}:mapping:conv:{conversationId}` },
    waMapping: { template: `${p}tenant:{tenant}:mapping:wa:{waId}`, user: 'waId', userFormat: 'any' },
    chatList: { template: `${p}chats:{deviceId}:{chatId}` },
    context: { template: `${p}context:{storyId}*` },
    sessions: { template: `${p}session:{sessionId}`, ageField: 'updatedAt' },
  };
}

export async function clearingFixture(target: ServerTarget | { url: string }, overrides: Partial<ConfigInput> = {}, label = 'clear'): Promise<ClearingFixture> {
  const prefix = randomPrefix(label);
  const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-clear-'));
  const input: ConfigInput = {
    tenants: ['acme', 'globex'],
    families: familiesFor(prefix),
    queues: { prefixes: [`${prefix}bull`, `{${prefix}bull}`] },
    logs: { dir: path.join(dir, 'logs') },
    ...overrides,
  };
  writeFileSync(path.join(dir, 'cachectl.config.json'), JSON.stringify(input));
  const config = resolveConfig(input);
  const connection = await connect({ url: target.url });
  const client = connection.client;
  return {
    prefix,
    dir,
    input,
    config,
    connection,
    client,
    cli: (args, options = {}) => runCli([...args, '--redis-url', target.url], { cwd: dir, ...options }),
    audit: () => {
      const file = path.join(dir, 'logs', 'audit.log');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    existing: async (keys) => {
      const flags = await Promise.all(keys.map((key) => client.exists(key)));
      return keys.filter((_, i) => flags[i] === 1).map((k) => (Buffer.isBuffer(k) ? k.toString('latin1') : k));
    },
    close: async () => {
      await connection.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** SET many keys (routed per key on a cluster), in chunks. */
export async function setKeys(client: Redis | Cluster, keys: Array<string | Buffer>, value = 'v', ttlSeconds?: number): Promise<void> {
  for (let i = 0; i < keys.length; i += 500) {
    await Promise.all(keys.slice(i, i + 500).map((key) => (ttlSeconds ? client.set(key, value, 'EX', ttlSeconds) : client.set(key, value))));
  }
}
