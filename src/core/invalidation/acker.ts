/**
 * Batched XACK: acknowledgements requested in the same tick travel in one command. Each caller
 * learns whether its entry was acknowledged (a lost connection rejects them all).
 */
import type { RedisClient } from '../../redis/connect.js';
import * as streams from './stream.js';

export class Acker {
  private queue: Array<{ id: string; done: (error?: unknown) => void }> = [];
  private scheduled = false;

  constructor(
    private readonly client: RedisClient,
    private readonly ref: { stream: string; group: string },
    private readonly onAcked: (count: number) => void,
  ) {}

  /** Resolves once the entry is acknowledged. */
  ack(id: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id, done: (error) => (error ? reject(error) : resolve()) });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Send what is queued now. */
  async flush(): Promise<void> {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    if (queue.length === 0) return;
    try {
      await streams.ack(
        this.client,
        this.ref,
        queue.map((q) => q.id),
      );
      this.onAcked(queue.length);
      for (const q of queue) q.done();
    } catch (error) {
      for (const q of queue) q.done(error);
    }
  }
}
