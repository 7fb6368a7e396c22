/**
 * Pattern deletion that keeps keys on the server: the scan-delete script does one bounded SCAN
 * step and unlinks its matches; the client loops it per master, all masters in parallel. Where
 * scripts are not allowed (ACL without EVALSHA, servers < 3.2) the keys come to the client and
 * go back as pipelined single-key UNLINKs.
 */
import type { Redis } from 'ioredis';
import { CountTuner } from './count-tuner.js';
import { deleteCommand, nodeFeatures } from './features.js';
import { deleteOnNode, isScriptDenied } from './key-delete.js';
import { int, loadScript, runScript } from './lua.js';
import type { CaptureEntry, KeyspaceRun } from './run.js';
import { scanNode } from './scan.js';

export const SCAN_DELETE = loadScript('scan-delete');

/** Delete every key matching `pattern` (queue prefixes excluded) on every master. */
export async function deletePattern(run: KeyspaceRun, pattern: Buffer, target: string): Promise<void> {
  const masters = run.connection.masters();
  const sizes = await Promise.all(masters.map((node) => node.dbsize()));
  run.total += sizes.reduce((a, b) => a + b, 0);
  await Promise.all(masters.map((node, i) => guarded(run, node, () => nodePass(run, node, pattern, target, sizes[i]!))));
}

/** Run a node loop, turning its failure into a recorded node error. */
export async function guarded(run: KeyspaceRun, node: Redis, loop: () => Promise<void>): Promise<void> {
  try {
    await loop();
  } catch (error) {
    run.fail(run.connection.nodeName(node), error);
  }
}

async function nodePass(run: KeyspaceRun, node: Redis, pattern: Buffer, target: string, size: number): Promise<void> {
  const name = run.connection.nodeName(node);
  const features = await nodeFeatures(node);
  if (!features.scriptWritesAfterScan) return clientPass(run, node, pattern, target, size);
  const capture = run.options.capture !== undefined;
  const tuner = new CountTuner(run.options.count ?? run.context.count);
  const fixedArgs = [deleteCommand(features), capture ? '1' : '0', ...run.context.excluded];
  const coverage = run.coverage(name, size, tuner.count, target);
  let cursor = '0';
  let first = true;
  // A step left pending returns its own cursor, which may be "0": completion is cursor 0 AND nothing pending.
  let done = false;
  while (!done) {
    const granted = await run.acquire(run.serverBatch);
    if (granted === 0) break;
    const count = tuner.count;
    const began = performance.now();
    let reply: unknown[];
    try {
      reply = await runScript(node, SCAN_DELETE, features.scriptFlags, [], [cursor, pattern, count, granted, ...fixedArgs]);
    } catch (error) {
      run.release(granted, 0);
      if (isScriptDenied(error) && first) return clientPass(run, node, pattern, target, size);
      throw error;
    }
    first = false;
    const elapsed = performance.now() - began;
    const [next, matched, deleted, skipped, pending] = [String(reply[0]), int(reply[1]), int(reply[2]), int(reply[3]), int(reply[4])];
    run.release(granted, deleted);
    await run.deliver(node, entriesOf(reply));
    // A step left pending is repeated: its buckets are counted once, when it completes.
    if (pending === 0) coverage.step(count);
    run.summary.add(name, { matched, deleted });
    run.summary.skippedQueueKeys += skipped;
    tuner.update(elapsed, matched + pending + skipped, pending > 0, granted);
    cursor = next;
    done = next === '0' && pending === 0;
    run.progress(target);
  }
  // A completed pass covered the whole keyspace of the node.
  if (done) coverage.complete();
}

function entriesOf(reply: unknown[]): CaptureEntry[] {
  const entries: CaptureEntry[] = [];
  for (let i = 5; i + 2 < reply.length; i += 3) {
    const ttl = int(reply[i + 1]);
    entries.push({ key: reply[i] as Buffer, ttlMs: ttl > 0 ? ttl : 0, dump: reply[i + 2] as Buffer });
  }
  return entries;
}

/** The client-side path: SCAN MATCH on the node, pipelined single-key UNLINKs of each batch. */
async function clientPass(run: KeyspaceRun, node: Redis, pattern: Buffer, target: string, size: number): Promise<void> {
  const name = run.connection.nodeName(node);
  const count = run.options.count ?? run.context.count;
  const capture = run.options.capture !== undefined;
  const coverage = run.coverage(name, size, count, target);
  let completed = true;
  for await (const batch of scanNode(node, { match: pattern, count, signal: run.signal, onStep: () => coverage.step() })) {
    const keys = run.withoutQueueKeys(batch);
    for (let i = 0; i < keys.length; ) {
      const granted = await run.acquire(Math.min(run.batch, keys.length - i));
      if (granted === 0) {
        completed = false;
        break;
      }
      const chunk = keys.slice(i, i + granted);
      i += granted;
      const result = await deleteOnNode(node, chunk, { capture });
      run.release(granted, result.deleted);
      await run.deliver(node, result.entries);
      run.summary.add(name, { matched: chunk.length - result.missing, deleted: result.deleted, failed: result.failed });
      if (result.failed > 0) run.fail(name, result.error);
      run.progress(target);
    }
    if (!completed || run.shouldStop()) {
      completed = false;
      break;
    }
  }
  if (run.signal?.aborted) completed = !run.shouldStop();
  if (completed) coverage.complete();
}

