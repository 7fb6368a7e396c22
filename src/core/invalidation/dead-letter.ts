/**
 * The dead-letter stream: where an entry goes when it cannot succeed (malformed, a field a rule
 * needs is missing) or failed `maxAttempts` deliveries. The record keeps the original fields and
 * says why, so a person can fix the cause and publish the event again.
 */
import type { CachectlConfig } from '../../config/load.js';
import { CachectlError, UsageError } from '../../errors.js';
import type { RedisClient, RedisConnection } from '../../redis/connect.js';
import { int, runScript } from '../scripts/index.js';
import { fieldsObject } from './event.js';
import { deadLetterIndexKey } from './keys.js';
import type { ListenerLog } from './listener-types.js';
import { deliveries, type GroupRef, type StreamEntry } from './stream.js';

export interface DeadLetter {
  entry: StreamEntry;
  type: string | undefined;
  error: CachectlError;
  attempts: number;
  consumer: string;
}

/**
 * Append the record to `stream` (capped at ~`maxLen`) unless this source entry has a dead letter
 * already (a listener stopped between dead-lettering and acknowledging it); returns its id and
 * whether it was added now.
 */
export async function appendDeadLetter(client: RedisClient, stream: string, maxLen: number, letter: DeadLetter): Promise<{ id: string; added: boolean }> {
  const raw = fieldsObject(letter.entry.fields);
  const record = {
    id: letter.entry.id,
    type: raw.type ?? letter.type ?? '',
    data: raw.data ?? '',
    at: raw.at ?? '',
    error: letter.error.message,
    code: letter.error.code,
    attempts: String(letter.attempts),
    consumer: letter.consumer,
    failedAt: new Date().toISOString(),
  };
  const keys = [Buffer.from(stream), Buffer.from(deadLetterIndexKey(stream))];
  const reply = await runScript(client, 'dead-letter', false, keys, [letter.entry.id, String(maxLen), ...Object.entries(record).flat()]);
  return { id: String(reply[0]), added: int(reply[1]) === 1 };
}

export interface FailureContext {
  connection: RedisConnection;
  config: CachectlConfig;
  ref: GroupRef;
  ack: (id: string) => Promise<void>;
  log: (record: ListenerLog) => void;
}

/**
 * Decide what a failed entry becomes: left pending for a retry (XAUTOCLAIM brings it back after
 * `claimIdleMs`), or — when it is malformed or its delivery count reached `maxAttempts` — a dead
 * letter, acknowledged. Rejects only if Redis fails meanwhile (the entry then stays pending).
 */
export async function settleFailure(ctx: FailureContext, entry: StreamEntry, type: string | undefined, error: unknown): Promise<'failed' | 'deadLettered'> {
  const err = error instanceof CachectlError ? error : ctx.connection.wrapError(error);
  const permanent = err instanceof UsageError;
  const { maxAttempts, deadLetterStream, maxLen, claimIdleMs } = ctx.config.invalidation;
  const attempts = (await deliveries(ctx.connection.client, ctx.ref, entry.id)) ?? 1;
  const what = `entry ${entry.id} (${type ?? '?'})`;
  if (!permanent && attempts < maxAttempts) {
    ctx.log({
      level: 'warn',
      event: 'failure',
      msg: `${what} failed, attempt ${attempts} of ${maxAttempts}: ${err.message}`,
      id: entry.id,
      type,
      attempt: attempts,
      maxAttempts,
      code: err.code,
      retryAfterMs: claimIdleMs,
    });
    return 'failed';
  }
  const letter = await appendDeadLetter(ctx.connection.client, deadLetterStream, maxLen, { entry, type, error: err, attempts, consumer: ctx.ref.consumer });
  await ctx.ack(entry.id);
  ctx.log({
    level: 'warn',
    event: 'dead-letter',
    msg: letter.added
      ? `${what} moved to ${deadLetterStream} after ${attempts} deliver${attempts === 1 ? 'y' : 'ies'}: ${err.message}`
      : `${what} was already in ${deadLetterStream} (${letter.id}); acknowledged it`,
    id: entry.id,
    type,
    attempts,
    code: err.code,
    permanent,
    deadLetterId: letter.id,
  });
  return 'deadLettered';
}
