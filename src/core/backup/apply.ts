/**
 * Sending one batch of records to the server, each key to the master serving its slot: one
 * restore-keys.lua call per few MB where the node allows scripts, else RESTORE pipelined per key
 * (EXISTS for a dry run); every reply sorted into an outcome.
 */
import { Cluster, type Redis } from 'ioredis';
import type { RedisConnection } from '../../redis/connect.js';
import { displayKey } from '../display.js';
import { PAYLOAD_REJECTED } from './errors.js';
import { payloadRdbVersion, type BackupRecord } from './format.js';
import { isRedirect, type Router } from '../../redis/topology.js';
import { disableScripts, isScriptFallback, nodeMode } from './scripts.js';
import { runScript } from '../scripts/index.js';

export interface ApplyItem {
  record: BackupRecord;
  /** TTL to restore with, in ms (0: no expiry). */
  ttl: number;
}

export interface ApplyTally {
  restored: number;
  exists: number;
  failed: number;
  errors: Array<{ key: string; error: string }>;
}

export interface ApplySettings {
  replace: boolean;
  dryRun: boolean;
  /** Describes a payload the target rejects (names both versions). */
  explainRejected: (rdbVersion: number, message: string) => string;
}

export const MAX_ERRORS = 10;

/** Payload per script call: a few milliseconds of server time at most. */
const SCRIPT_BYTES = 2 << 20;

/** Apply a batch; adds outcomes to `tally`. */
export async function applyBatch(
  connection: RedisConnection,
  route: Router,
  items: readonly ApplyItem[],
  settings: ApplySettings,
  tally: ApplyTally,
): Promise<void> {
  const { groups, unrouted } = route(items, (item) => item.record.key);
  const retry: ApplyItem[] = [...unrouted];
  await Promise.all(
    groups.map(async ({ node, items: list }) => {
      const mode = settings.dryRun ? ({ script: false } as const) : await nodeMode(connection, node);
      if (!mode.script) {
        retry.push(...(await pipelined(node, list, settings, tally)));
        return;
      }
      for (const chunk of chunks(list)) {
        try {
          const args: Array<string | Buffer> = [settings.replace ? '1' : '0'];
          for (const item of chunk) args.push(String(item.ttl), item.record.dump);
          const reply = await runScript(
            node,
            'restore-keys',
            mode.flags,
            chunk.map((i) => i.record.key),
            args,
          );
          chunk.forEach((item, i) => {
            const outcome = reply[i];
            if (outcome === 1) settle(item, null, 'OK', settings, tally);
            else settle(item, new Error(String(outcome)), null, settings, tally);
          });
        } catch (error) {
          if (isScriptFallback(error)) {
            if (/^NOPERM/.test((error as Error).message)) disableScripts(node);
            retry.push(...(await pipelined(node, chunk, settings, tally)));
          } else for (const item of chunk) settle(item, error as Error, null, settings, tally);
        }
      }
    }),
  );
  // Keys whose slot moved (or had no known master): one at a time through the routing client.
  const client = connection.client;
  for (const item of retry) {
    try {
      const reply = await (client instanceof Cluster ? client : (client as Redis)).call(...command(item, settings));
      settle(item, null, reply, settings, tally);
    } catch (error) {
      settle(item, error as Error, null, settings, tally);
    }
  }
}

/** One pipeline of RESTORE (or EXISTS) per key; returns the items the node redirected. */
async function pipelined(node: Redis, list: readonly ApplyItem[], settings: ApplySettings, tally: ApplyTally): Promise<ApplyItem[]> {
  const pipeline = node.pipeline();
  for (const item of list) pipeline.call(...command(item, settings));
  const replies = (await pipeline.exec()) ?? [];
  const moved: ApplyItem[] = [];
  list.forEach((item, i) => {
    const [error, reply] = replies[i] ?? [new Error('no reply'), null];
    if (isRedirect(error)) moved.push(item);
    else settle(item, error, reply, settings, tally);
  });
  return moved;
}

/** Split into script calls of at most SCRIPT_BYTES of payload (at least one key each). */
function* chunks(list: readonly ApplyItem[]): Generator<ApplyItem[]> {
  let chunk: ApplyItem[] = [];
  let bytes = 0;
  for (const item of list) {
    if (chunk.length > 0 && bytes + item.record.dump.length > SCRIPT_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += item.record.dump.length;
  }
  if (chunk.length > 0) yield chunk;
}

function command(item: ApplyItem, settings: ApplySettings): [string, ...Array<string | Buffer>] {
  const { key, dump } = item.record;
  if (settings.dryRun) return ['EXISTS', key];
  const args: [string, ...Array<string | Buffer>] = ['RESTORE', key, String(item.ttl), dump];
  if (settings.replace) args.push('REPLACE');
  return args;
}

function settle(item: ApplyItem, error: Error | null, reply: unknown, settings: ApplySettings, tally: ApplyTally): void {
  if (!error) {
    if (settings.dryRun && !settings.replace && Number(reply) === 1) tally.exists++;
    else tally.restored++;
    return;
  }
  if (/^BUSYKEY/.test(error.message)) {
    tally.exists++;
    return;
  }
  tally.failed++;
  if (tally.errors.length < MAX_ERRORS) {
    const message = PAYLOAD_REJECTED.test(error.message) ? settings.explainRejected(payloadRdbVersion(item.record.dump), error.message) : error.message;
    tally.errors.push({ key: displayKey(item.record.key), error: message });
  }
}
