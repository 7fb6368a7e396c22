/**
 * Is this really a BullMQ queue? A key that merely looks like one (`bull:x:meta` holding a string,
 * a `wait` that is a hash…) must not make `queues`, `stats` or `doctor` fail with WRONGTYPE: each
 * queue's keys are checked with TYPE (one pipeline per batch of queues) and a queue whose keys do
 * not have BullMQ's shapes is set aside and named, with the key and what it holds.
 */
import type { RedisConnection } from '../../redis/connect.js';
import type { QueueRef } from './discovery.js';

/** The type BullMQ gives each key of a queue that `cachectl` reads ('none' is always fine). */
const SHAPES: ReadonlyArray<readonly [suffix: string, type: string]> = [
  ['meta', 'hash'],
  ['wait', 'list'],
  ['paused', 'list'],
  ['active', 'list'],
  ['delayed', 'zset'],
  ['prioritized', 'zset'],
  ['waiting-children', 'zset'],
  ['completed', 'zset'],
  ['failed', 'zset'],
  ['events', 'stream'],
];

/** A queue whose keys BullMQ did not write as they are. */
export interface MalformedQueue {
  ref: QueueRef;
  /** The first key with the wrong type. */
  key: string;
  /** What it holds (`string`, `hash`…). */
  found: string;
  /** What BullMQ keeps there. */
  expected: string;
}

/** One line for a warning or a finding. */
export function describeMalformed(m: MalformedQueue): string {
  return `${m.key} is a ${m.found}, not the ${m.expected} BullMQ keeps there: "${m.ref.name}" is not read as a queue`;
}

const BATCH = 64;

/** Split `refs` into queues with BullMQ's shapes and the others (in the same order). */
export async function checkQueueShapes(connection: RedisConnection, refs: readonly QueueRef[]): Promise<{ queues: QueueRef[]; malformed: MalformedQueue[] }> {
  const queues: QueueRef[] = [];
  const malformed: MalformedQueue[] = [];
  for (let i = 0; i < refs.length; i += BATCH) {
    const slice = refs.slice(i, i + BATCH);
    const types = await Promise.all(slice.map((ref) => Promise.all(SHAPES.map(([suffix]) => connection.client.type(`${ref.key}:${suffix}`)))));
    slice.forEach((ref, r) => {
      const wrong = SHAPES.findIndex(([, expected], s) => types[r]![s] !== 'none' && types[r]![s] !== expected);
      if (wrong < 0) queues.push(ref);
      else malformed.push({ ref, key: `${ref.key}:${SHAPES[wrong]![0]}`, found: types[r]![wrong]!, expected: SHAPES[wrong]![1] });
    });
  }
  return { queues, malformed };
}
