/**
 * One keyspace pass for every pattern of a run: on each master, in parallel, the step script does
 * one bounded SCAN step and tests each key against the guard and all the rules on the server (keys
 * never cross the wire); the client loops it, adapting COUNT so a call stays short. Keys found on
 * a node that no longer serves them are retried through the cluster client. On a cluster the pass
 * then compares the slot map with the one it started from and rescans the slots that moved, so a
 * resharding can not end in a false success. Where scripts are denied (ACL) the keys come to the
 * client and go back as pipelined single-key deletes.
 */
import { type Cluster, type Redis } from 'ioredis';
import { ConnectionError, UsageError } from '../../errors.js';
import { deleteCommand, isLfuError, nodeFeatures } from '../../redis/features.js';
import { formatSlots, movedSlots, passMasters, readSlotMap, refreshSlots, slotsOfNode, UNCOVERED_HINT, type SlotMap } from '../../redis/topology.js';
import { displayKey } from '../display.js';
import { CountTuner } from './count-tuner.js';
import { actOnGivenKeys, isScriptDenied, type GivenKey } from './given-keys.js';
import { compileRules, type CompiledRules, type PassRule } from './rules.js';
import type { KeyspaceRun } from './run.js';
import { runStep, type StepAction } from './step.js';

/** Rescans of moved slots before a run gives up on a resharding that does not settle. */
const MAX_SLOT_ROUNDS = 6;

/** Act on every key matching any of `rules` (first rule wins), in one pass per master. */
export async function keyspacePass(run: KeyspaceRun, rules: readonly PassRule[], label: string): Promise<void> {
  const compiled = compileRules(rules);
  if (compiled.rules.length === 0) return;
  const began = performance.now();
  const verify = run.connection.mode === 'cluster' && run.options.dryRun !== true;
  const before = verify ? await readSlotMap(run.connection).catch(() => undefined) : undefined;
  const moved: GivenKey[] = [];
  await Promise.all(passNodes(run).map((node) => guarded(run, node, async () => nodePass(run, node, compiled, label, moved, await passSize(run, node), true))));
  if (moved.length > 0 && !run.shouldStop()) await actOnGivenKeys(run, moved);
  if (before && !run.shouldStop()) await settleMovedSlots(run, compiled, label, before);
  run.timeTargets(
    compiled.rules.map((r) => r.target),
    performance.now() - began,
  );
}

/**
 * The masters a pass covers. On a cluster whose slot map names a master the client no longer has
 * (it died; its replica is not known yet), scanning the others would skip its slots and report
 * success: the run fails instead, naming the slots, and scans nothing.
 */
export function passNodes(run: KeyspaceRun): Redis[] {
  const { masters, uncovered } = passMasters(run.connection);
  if (uncovered.length === 0) return masters;
  for (const gap of uncovered) {
    run.fail('cluster', new ConnectionError(`slots ${gap.slots} of ${gap.node} not scanned: no reachable master serves them`, { hint: UNCOVERED_HINT }));
  }
  return [];
}

/** DBSIZE of a node at the start of its pass (inside `guarded`, so a dead node is a node error). */
async function passSize(run: KeyspaceRun, node: Redis): Promise<number> {
  const size = await node.dbsize();
  run.total += size;
  return size;
}

/** Run a node loop, turning its failure into a recorded node error (naming its slots on a cluster). */
async function guarded(run: KeyspaceRun, node: Redis, loop: () => Promise<void>): Promise<void> {
  const name = run.connection.nodeName(node);
  // Taken before the loop: once the node is gone the client's slot map moves on.
  const slots = slotsOfNode(run.connection, name);
  try {
    await loop();
  } catch (error) {
    run.fail(slots ? `${name} (slots ${slots})` : name, error);
  }
}

/** The server-side loop on one master: cursor steps until the cursor is back at 0 with nothing pending. */
async function nodePass(
  run: KeyspaceRun,
  node: Redis,
  compiled: CompiledRules,
  label: string,
  moved: GivenKey[],
  size: number,
  counted: boolean,
): Promise<void> {
  const name = run.connection.nodeName(node);
  const features = await nodeFeatures(node);
  if (!features.scriptWritesAfterScan) return clientPass(run, node, compiled, label, size, counted);
  const dryRun = run.options.dryRun === true;
  const action: StepAction = dryRun ? 'COUNT' : deleteCommand(features);
  const tuner = new CountTuner(run.options.count ?? run.context.count);
  const coverage = run.coverage(name, counted ? size : 0, tuner.count, label);
  const guard = run.guard.scriptArgs(compiled.match);
  const conditional = compiled.rules.some((r) => r.condition.mode !== 'all');
  let cursor = '0';
  let first = true;
  // A step left pending returns its own cursor, which may be "0": completion is cursor 0 AND nothing pending.
  let done = false;
  while (!done) {
    const granted = await run.acquire(run.serverBatch);
    if (granted === 0) break;
    const count = tuner.count;
    const began = performance.now();
    let reply;
    try {
      reply = await runStep(
        node,
        features.scriptFlags,
        {
          cursor,
          ...(compiled.match ? { match: compiled.match } : {}),
          count,
          budget: granted,
          action,
          capture: run.options.capture !== undefined && !dryRun,
          sample: run.summary.wantsSample ? 10 : 0,
          guard,
          rules: compiled.args,
        },
        compiled.rules.length,
      );
    } catch (error) {
      run.release(granted, 0);
      if (first && isScriptDenied(error) && !conditional) return clientPass(run, node, compiled, label, size, counted);
      throw error;
    }
    first = false;
    const elapsed = performance.now() - began;
    const deleted = reply.acted.reduce((a, b) => a + b, 0);
    run.release(granted, deleted);
    await run.deliver(node, reply.entries);
    compiled.rules.forEach((rule, i) => {
      const kept = rule.condition.mode === 'all' ? undefined : reply.keptByRule[i]!;
      if (reply.matched[i] || reply.acted[i] || kept)
        run.credit(rule.target, name, { matched: reply.matched[i]!, deleted: dryRun ? 0 : reply.acted[i]!, ...(kept !== undefined ? { kept } : {}) });
    });
    run.countSkipped('queue', reply.queue);
    run.countSkipped('own', reply.own);
    run.countSkipped('outside', reply.outside);
    for (const key of reply.sample) if (run.summary.wantsSample) run.summary.offerSample(displayKey(key));
    for (const m of reply.moved) moved.push({ key: m.key, rule: compiled.rules[m.rule]! });
    if (reply.error) throw isLfuError(reply.error) ? lfuError(label) : new Error(reply.error);
    // A step left pending is repeated: its buckets are counted once, when it completes.
    if (reply.pending === 0) coverage.step(count);
    tuner.update(elapsed, reply.matched.reduce((a, b) => a + b, 0) + reply.pending + reply.queue + reply.own, reply.pending > 0, granted);
    cursor = reply.cursor;
    done = cursor === '0' && reply.pending === 0;
    run.progress(label);
  }
  // A completed pass covered the whole keyspace of the node.
  if (done) coverage.complete();
}

/** Without scripts: SCAN on the node, the rules tested here, pipelined single-key deletes. */
async function clientPass(run: KeyspaceRun, node: Redis, compiled: CompiledRules, label: string, size: number, counted: boolean): Promise<void> {
  await run.scanInChunks(node, compiled.match ?? Buffer.from('*'), label, counted ? size : 0, async (chunk) => {
    const items: GivenKey[] = [];
    for (const key of chunk) {
      const rule = compiled.ruleOf(key);
      if (rule >= 0) items.push({ key, rule: compiled.rules[rule]! });
    }
    run.release(chunk.length, 0);
    await actOnGivenKeys(run, items);
  });
}

/**
 * After the pass, on a cluster: compare the slot map with the one the pass started from; slots
 * whose owner changed, or that were in transit, are rescanned on their new owner (their keys may
 * have moved behind a cursor already passed). Repeated until the map holds still, or fails naming
 * the slots that never settled.
 */
export async function settleMovedSlots(run: KeyspaceRun, compiled: CompiledRules, label: string, start: SlotMap): Promise<void> {
  const cluster = run.connection.client as Cluster;
  let previous = start;
  let pending: number[] = [];
  for (let round = 0; round < MAX_SLOT_ROUNDS; round++) {
    await refreshSlots(cluster);
    let now: SlotMap | undefined;
    try {
      now = await readSlotMap(run.connection);
    } catch (error) {
      // Without the map the pass cannot prove it covered every slot: not a success.
      run.fail('cluster', error);
      return;
    }
    if (!now) return;
    pending = movedSlots(previous, now);
    if (pending.length === 0) return;
    await rescanSlots(run, compiled, label, pending, now);
    if (run.shouldStop()) return;
    previous = now;
    // Slots still in transit: give the migration a moment before looking again.
    if (pending.some((slot) => now.moving.has(slot))) await new Promise((resolve) => setTimeout(resolve, 100 * (round + 1)));
  }
  run.fail(
    'cluster',
    new ConnectionError(`slots ${formatSlots(pending)} kept moving while ${run.summary.command} ran (a resharding is in progress): keys in them may remain`, {
      hint: 'run the same command again once the resharding is over ("redis-cli --cluster check" shows no open slots)',
    }),
  );
}

/** Rescan `slots` on their current owners: the keys of each slot, tested against the rules here. */
async function rescanSlots(run: KeyspaceRun, compiled: CompiledRules, label: string, slots: number[], map: SlotMap): Promise<void> {
  const nodes = new Map<string, Redis>();
  for (const node of run.connection.masters()) nodes.set(run.connection.nodeName(node), node);
  const byOwner = new Map<Redis, number[]>();
  for (const slot of slots) {
    const node = nodes.get(map.owners[slot] ?? '');
    if (!node) {
      run.fail('cluster', new ConnectionError(`slot ${slot} has no reachable master after a resharding`, { hint: UNCOVERED_HINT }));
      continue;
    }
    const list = byOwner.get(node);
    if (list) list.push(slot);
    else byOwner.set(node, [slot]);
  }
  for (const [node, owned] of byOwner) {
    if (run.shouldStop()) return;
    await guarded(run, node, async () => {
      try {
        for (const slot of owned) {
          const size = Number(await node.call('CLUSTER', 'COUNTKEYSINSLOT', slot));
          if (size === 0) continue;
          const keys = (await node.callBuffer('CLUSTER', 'GETKEYSINSLOT', slot, size)) as Buffer[];
          const items: GivenKey[] = [];
          for (const key of keys) {
            const rule = compiled.ruleOf(key);
            if (rule >= 0) items.push({ key, rule: compiled.rules[rule]! });
          }
          await actOnGivenKeys(run, items);
          if (run.shouldStop()) return;
        }
      } catch (error) {
        if (!isScriptDenied(error)) throw error;
        // The ACL denies CLUSTER GETKEYSINSLOT: a whole second pass over the node covers its slots.
        const moved: GivenKey[] = [];
        await nodePass(run, node, compiled, label, moved, 0, false);
        if (moved.length > 0) await actOnGivenKeys(run, moved);
      }
    });
  }
}

/** The error for idle-time ageing under an LFU eviction policy. */
export function lfuError(target: string, policy?: string): UsageError {
  return new UsageError(
    `Cannot age "${target}" by idle time: the server's maxmemory-policy${policy ? ` (${policy})` : ''} is LFU, which does not track idle time`,
    {
      hint: `set "ageField" for this family in the config file (a hash field or JSON property holding a timestamp, e.g. "updatedAt")`,
    },
  );
}
