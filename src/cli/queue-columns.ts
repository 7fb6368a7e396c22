/**
 * The columns `stats` and `queues` both show for a queue: its key, then its jobs in each of
 * BullMQ's states, in the one order of QUEUE_STATES.
 */
import { QUEUE_STATES, type QueueCounts } from '../core/queues/discovery.js';
import { safe, type Output } from './output.js';

export const QUEUE_COUNT_HEADS: string[] = ['queue', ...QUEUE_STATES];
export const QUEUE_COUNT_ALIGN: Array<'left' | 'right'> = ['left', ...QUEUE_STATES.map(() => 'right' as const)];

/** A queue's key and its job counts per state, failed jobs in red. */
export function queueCountCells(key: string, counts: QueueCounts, out: Output): Array<string | number> {
  const cells = QUEUE_STATES.map((state) => (state === 'failed' && counts.failed > 0 ? out.color.red(String(counts.failed)) : counts[state]));
  return [safe(key), ...cells];
}
