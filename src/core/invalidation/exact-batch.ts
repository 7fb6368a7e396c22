/**
 * Exact keys of the events in hand, deleted together: every request made in the same task (a
 * stream batch is dispatched in one) joins one pipeline per master, with one UNLINK of its keys
 * per request (per request and slot on a cluster), and each request learns how many of its own
 * keys were removed. One pipeline per batch instead of one per event, and one command per event
 * instead of one per key, is what keeps `listen` close to a bare XREADGROUP → UNLINK → XACK loop.
 * The key guard applies (queue keys and cachectl's own keys are never touched); a key whose slot
 * moved is retried through the cluster client, which follows the redirection. ASCII keys are sent
 * as strings (the same bytes): a pipeline of strings is one string write in ioredis, where one
 * Buffer argument makes it frame every command into a Buffer of its own and concatenate them. A failed command
 * fails the requests that named its key with the raw error (the engine classifies it).
 */
import { isAscii } from 'node:buffer';
import { deleteCommand, nodeFeatures } from '../../redis/features.js';
import type { RedisConnection } from '../../redis/connect.js';
import { createRouter, isRedirect, keySlot } from '../../redis/topology.js';
import type { KeyGuard } from '../guard.js';

/** How recent an exact delete must be for the exact traffic to count as flowing. */
const BUSY_WINDOW_MS = 250;

interface Request {
  keys: Buffer[];
  deleted: number;
  error?: unknown;
  resolve: (deleted: number) => void;
  reject: (error: unknown) => void;
}

interface Item {
  key: Buffer;
  /** What the command sends: the key as a string when it is ASCII (the same bytes), else its bytes. */
  arg: string | Buffer;
  request: Request;
}

export class ExactBatch {
  private queue: Request[] = [];
  /** The flush scheduled for the requests queued now, and the flushes in flight. */
  private next: Promise<void> | undefined;
  private readonly running = new Set<Promise<void>>();
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly connection: RedisConnection,
    private readonly guard: KeyGuard,
  ) {}

  /** Resolves with the number of `keys` removed (a key named twice in one batch counts once, for the first). */
  delete(keys: Buffer[]): Promise<number> {
    this.lastAt = performance.now();
    return new Promise((resolve, reject) => {
      this.queue.push({ keys, deleted: 0, resolve, reject });
      if (this.next) return;
      // A microtask: the entries of a stream batch are all dispatched in the current task.
      const next = new Promise<void>((done) =>
        queueMicrotask(() => {
          this.next = undefined;
          const flushing = this.flush().finally(() => this.running.delete(flushing));
          this.running.add(flushing);
          void flushing.then(done);
        }),
      );
      this.next = next;
    });
  }

  /** Exact deletes were asked for within the last `ms` (exact events are flowing). */
  busy(ms = BUSY_WINDOW_MS): boolean {
    return performance.now() - this.lastAt < ms;
  }

  /** Resolves once the deletes queued or in flight now are done (a pattern pass lets them go first). */
  async settled(): Promise<void> {
    await Promise.all([this.next, ...this.running]);
  }

  private async flush(): Promise<void> {
    const requests = this.queue;
    this.queue = [];
    const items: Item[] = [];
    const seen = new Set<string>();
    for (const request of requests) {
      for (const key of request.keys) {
        const id = key.toString('latin1');
        if (seen.has(id) || this.guard.protection(key) !== undefined) continue;
        seen.add(id);
        items.push({ key, arg: isAscii(key) ? id : key, request });
      }
    }
    try {
      const { groups, unrouted } = createRouter(this.connection)(items, (item) => item.key);
      const retry: Item[] = [...unrouted];
      await Promise.all(groups.map(async ({ node, items: list }) => retry.push(...(await this.onNode(node, list)))));
      // Moved slots: one call per key through the cluster client (a cluster pipeline must stay on one node).
      await Promise.all(
        retry.map(async (item) => {
          try {
            if (Number(await this.connection.client.unlink(item.key)) === 1) item.request.deleted++;
          } catch (error) {
            item.request.error ??= error;
          }
        }),
      );
    } catch (error) {
      for (const request of requests) request.error ??= error;
    }
    for (const request of requests) {
      if (request.error !== undefined) request.reject(request.error);
      else request.resolve(request.deleted);
    }
  }

  /**
   * One pipeline on one master, one UNLINK per request (per slot of it on a cluster: a command's
   * keys must share one); returns the items to retry one by one through the cluster client.
   */
  private async onNode(node: Parameters<typeof nodeFeatures>[0], items: Item[]): Promise<Item[]> {
    const command = deleteCommand(await nodeFeatures(node)).toLowerCase() as 'unlink' | 'del';
    const cluster = this.connection.mode === 'cluster';
    const groups = new Map<Request, Map<number, Item[]>>();
    for (const item of items) {
      let bySlot = groups.get(item.request);
      if (!bySlot) groups.set(item.request, (bySlot = new Map()));
      const slot = cluster ? keySlot(item.key) : 0;
      const list = bySlot.get(slot);
      if (list) list.push(item);
      else bySlot.set(slot, [item]);
    }
    const commands: Item[][] = [];
    const pipeline = node.pipeline();
    for (const bySlot of groups.values()) {
      for (const list of bySlot.values()) {
        commands.push(list);
        pipeline[command](...list.map((item) => item.arg));
      }
    }
    const replies = (await pipeline.exec()) ?? [];
    const retry: Item[] = [];
    replies.forEach(([error, value], i) => {
      const list = commands[i]!;
      if (error && isRedirect(error)) retry.push(...list);
      else if (error) list[0]!.request.error ??= error;
      else list[0]!.request.deleted += Number(value);
    });
    return retry;
  }
}
