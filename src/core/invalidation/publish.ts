/**
 * Publishing an invalidation event: XADD to the capped stream `listen` consumes, and optionally a
 * PUBLISH on a pub/sub channel for in-memory caches (fire and forget: pub/sub keeps nothing).
 */
import type { CachectlConfig } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import type { RedisClient, RedisConnection } from '../../redis/connect.js';
import { checkEventType, encodeEvent } from './event.js';
import { asConnection } from './invalidator.js';
import { compileRules, resolveEvent } from './rules.js';

export interface PublishOptions {
  /** Also PUBLISH on this channel (default: `invalidation.channel` from the config, if set). `false`: never. */
  channel?: string | false;
  /** Check the fields against this config's rules first (default true): a rule's missing field is a `UsageError`. */
  check?: boolean;
  /** Timestamp to record (ms since epoch; default now). */
  at?: number;
}

export interface PublishResult {
  /** Stream entry id. */
  id: string;
  stream: string;
  type: string;
  at: number;
  /** Rules of this config that handle the type (0: no listener with this config will act on it). */
  rules: number;
  /** The channel it was also published on, and how many subscribers received it. */
  channel?: string;
  receivers?: number;
}

/** Append an event to `config.invalidation.stream` (XADD MAXLEN ~ maxLen). */
export async function publishInvalidation(
  redis: RedisConnection | RedisClient,
  config: CachectlConfig,
  type: string,
  fields: Record<string, unknown> = {},
  options: PublishOptions = {},
): Promise<PublishResult> {
  checkEventType(type);
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new UsageError(`Event ${type}: fields must be an object`, { hint: 'e.g. { deviceId: "dev-1" }' });
  }
  const rules = compileRules(config).get(type) ?? [];
  // Catch a publisher bug here, where it is made, instead of as a dead letter later.
  if (options.check !== false && rules.length > 0) resolveEvent(rules, fields, config);

  const connection = asConnection(redis);
  const { stream, maxLen } = config.invalidation;
  const at = options.at ?? Date.now();
  const channel = options.channel === false ? undefined : (options.channel ?? config.invalidation.channel);
  try {
    const id = (await connection.client.xadd(stream, 'MAXLEN', '~', String(maxLen), '*', ...encodeEvent(type, fields, at))) ?? '';
    const result: PublishResult = { id, stream, type, at, rules: rules.length };
    if (channel) {
      result.channel = channel;
      result.receivers = await connection.client.publish(channel, JSON.stringify({ id, type, data: fields, at }));
    }
    return result;
  } catch (error) {
    throw connection.wrapError(error);
  }
}
