/**
 * Pattern deletion that keeps keys on the server: the scan-delete script does one bounded SCAN
 * step and unlinks its matches; the client loops it per master, all masters in parallel. Where
 * scripts are not allowed (ACL without EVALSHA, servers < 3.2) the keys come to the client and
 * go back as pipelined single-key UNLINKs.
 */
import type { Redis } from 'ioredis';
import { ConnectionError } from '../../errors.js';
import { CountTuner } from './count-tuner.js';
import { deleteCommand, nodeFeatures } from './features.js';
import { deleteOnNode, isScriptDenied } from './key-delete.js';
import { int, loadScript, runScript } from './lua.js';
import { passMasters, slotsOfNode } from './masters.js';
import type { CaptureEntry, KeyspaceRun } from './run.js';

export const SCAN_DELETE = loadScript('scan-delete');

/** Delete every key matching `pattern` (queue prefixes excluded) on every master. */
export async function deletePattern(run: KeyspaceRun, pattern: Buffer, target: string): Promise<void> {
  await Promise.all(passNodes(run).map((node) => guarded(run, node, async () => nodePass(run, node, pattern, target, await passSize(run, node)))));
}

/**
 * The masters a pass covers. On a cluster whose slot map names a master the client no longer
 * has (it died; its replica is not known yet), scanning the others would skip its slots and
 * report success: the run fails instead, naming the slots, and scans nothing.
 */
export function passNodes(run: KeyspaceRun): Redis[] {
  const { masters, uncovered } = passMasters(run.connection);
  if (uncovered.length === 0) return masters;
  for (const gap of uncovered) {
    run.fail('cluster', new ConnectionError(`slots ${gap.slots} of ${gap.node} not scanned: no reachable master serves them`, { hint: UNCOVERED_HINT }));
  }
  return [];
}

const UNCOVERED_HINT =
  'a master went away and its replica has not taken over yet (or this client has not learnt it); run again once CLUSTER INFO says cluster_state:ok';

/** DBSIZE of a node at the start of its pass (inside `guarded`, so a dead node is a node error). */
export async function passSize(run: KeyspaceRun, node: Redis): Promise<number> {
  const size = await node.dbsize();
  run.total += size;
  return size;
}

/** Run a node loop, turning its failure into a recorded node error (naming its slots on a cluster). */
export async function guarded(run: KeyspaceRun, node: Redis, loop: () => Promise<void>): Promise<void> {
  const name = run.connection.nodeName(node);
  // Taken before the loop: once the node is gone the client's slot map moves on.
  const slots = slotsOfNode(run.connection, name);
  try {
    await loop();
  } catch (error) {
    run.fail(slots ? `${name} (slots ${slots})` : name, error);
  }
}

async function nodePass(run: KeyspaceRun, node: Redis, pattern: Buffer, target: string, size: number): Promise<void> {
  const name = run.connection.nodeName(node);
  const features = await nodeFeatures(node);
  if (!features.scriptWritesAfterScan) return clientPass(run, node, pattern, target, size);
  const capture = run.options.capture !== undefined;
  const tuner = new CountTuner(run.options.count ?? run.context.count);
  const fixedArgs = [deleteCommand(features), capture ? '1' : '0', run.options.onlyPrefix ?? '', ...run.context.excluded];
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
    const [next, matched, deleted, skipped, pending, outside] = [String(reply[0]), int(reply[1]), int(reply[2]), int(reply[3]), int(reply[4]), int(reply[5])];
    run.release(granted, deleted);
    await run.deliver(node, entriesOf(reply));
    // A step left pending is repeated: its buckets are counted once, when it completes.
    if (pending === 0) coverage.step(count);
    run.summary.add(name, { matched, deleted });
    run.summary.skippedQueueKeys += skipped;
    if (outside > 0) run.summary.skippedOutsidePrefix = (run.summary.skippedOutsidePrefix ?? 0) + outside;
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
  for (let i = 6; i + 2 < reply.length; i += 3) {
    const ttl = int(reply[i + 1]);
    entries.push({ key: reply[i] as Buffer, ttlMs: ttl > 0 ? ttl : 0, dump: reply[i + 2] as Buffer });
  }
  return entries;
}

/** The client-side path: SCAN MATCH on the node, pipelined single-key UNLINKs of each batch. */
async function clientPass(run: KeyspaceRun, node: Redis, pattern: Buffer, target: string, size: number): Promise<void> {
  const name = run.connection.nodeName(node);
  const capture = run.options.capture !== undefined;
  await run.scanInChunks(node, pattern, target, size, async (chunk) => {
    const result = await deleteOnNode(node, chunk, { capture });
    run.release(chunk.length, result.deleted);
    await run.deliver(node, result.entries);
    run.summary.add(name, { matched: chunk.length - result.missing, deleted: result.deleted, failed: result.failed });
    if (result.failed > 0) run.fail(name, result.error);
  });
}
