/**
 * Acting on keys the client already holds: exact selections (every placeholder bound), keys a
 * pass found on a node that no longer serves them, keys of slots rescanned after a resharding.
 * Grouped by the master serving each key; plain deletes go as pipelined single-key UNLINKs (never
 * a multi-key command across slots); a condition or a backup capture goes through the step
 * script in keys mode, decided on the server. A key whose slot moved meanwhile is retried through
 * the cluster client, which follows MOVED/ASK.
 */
import type { Cluster, Redis } from 'ioredis';
import { isAclDenial } from '../../redis/errors.js';
import { deleteCommand, nodeFeatures, type NodeFeatures } from '../../redis/features.js';
import { createRouter, isRedirect, nodeOfKey } from '../../redis/topology.js';
import { displayKey } from '../display.js';
import { int } from '../scripts/index.js';
import { conditionArgs, type PassRule } from './rules.js';
import type { CaptureEntry, KeyspaceRun } from './run.js';
import { runStep, type StepAction, type StepReply } from './step.js';

export interface GivenKey {
  key: Buffer;
  /** The rule it is judged by (condition) and credited to (target). */
  rule: PassRule;
}

/** Concurrent single-key calls through a cluster client, at most. */
const ROUTED_CHUNK = 200;

/** Act on `items` (dry run: count them) under the run's guard, budget and rate. */
export async function actOnGivenKeys(run: KeyspaceRun, items: readonly GivenKey[]): Promise<void> {
  const admitted = items.filter((item) => run.admit([item.key]).length === 1);
  const byRule = new Map<PassRule, Buffer[]>();
  for (const item of admitted) {
    const list = byRule.get(item.rule);
    if (list) list.push(item.key);
    else byRule.set(item.rule, [item.key]);
  }
  const route = createRouter(run.connection);
  for (const [rule, keys] of byRule) {
    if (run.shouldStop()) return;
    const { groups, unrouted } = route(keys, (key) => key);
    const retry: Buffer[] = [...unrouted];
    await Promise.all(
      groups.map(async ({ node, items: nodeKeys }) => {
        for (let i = 0; i < nodeKeys.length;) {
          const granted = await run.acquire(Math.min(run.batch, nodeKeys.length - i));
          if (granted === 0) return;
          const chunk = nodeKeys.slice(i, i + granted);
          i += granted;
          try {
            const result = await onNode(run, node, rule, chunk);
            run.release(granted, result.deleted);
            retry.push(...result.moved);
          } catch (error) {
            run.release(granted, 0);
            run.fail(run.connection.nodeName(node), error);
            return;
          }
          run.progress(run.summary.byTarget[rule.target]!.target);
        }
      }),
    );
    if (retry.length > 0 && !run.shouldStop()) await routed(run, rule, retry);
  }
}

interface NodeResult {
  deleted: number;
  moved: Buffer[];
}

async function onNode(run: KeyspaceRun, node: Redis, rule: PassRule, keys: Buffer[]): Promise<NodeResult> {
  const features = await nodeFeatures(node);
  const name = run.connection.nodeName(node);
  const dryRun = run.options.dryRun === true;
  const capture = run.options.capture !== undefined && !dryRun;
  if (!dryRun && !capture && rule.condition.mode === 'all') return pipelinedDelete(run, node, features, rule, keys);
  let reply: StepReply;
  try {
    reply = await runStep(node, features.scriptFlags, stepRequest(run, rule, features, { keys }), 1);
  } catch (error) {
    if (!isScriptDenied(error) || rule.condition.mode !== 'all') throw error;
    // No scripts for this user: plain commands do the same (EXISTS, or DUMP + PTTL + UNLINK in MULTI).
    return dryRun ? existsCount(run, node, rule, keys) : transactionDelete(run, node, features, rule, keys);
  }
  return settle(run, name, rule, reply, node);
}

function stepRequest(run: KeyspaceRun, rule: PassRule, features: NodeFeatures, where: { keys?: Buffer[]; routedKey?: Buffer }) {
  const dryRun = run.options.dryRun === true;
  return {
    budget: run.batch,
    action: (dryRun ? 'COUNT' : deleteCommand(features)) as StepAction,
    capture: run.options.capture !== undefined && !dryRun,
    sample: run.summary.wantsSample ? 10 : 0,
    guard: run.guard.scriptArgs(),
    rules: [1, 'any', '', ...conditionArgs(rule.condition)],
    ...where,
  };
}

/** Count a step's reply; deliver its captured keys. Returns what it deleted and the keys that moved. */
async function settle(run: KeyspaceRun, name: string, rule: PassRule, reply: StepReply, where: Redis | Cluster): Promise<NodeResult> {
  const deleted = reply.acted[0] ?? 0;
  await run.deliver(where, reply.entries);
  run.credit(rule.target, name, { matched: reply.matched[0] ?? 0, deleted, ...(rule.condition.mode !== 'all' ? { kept: reply.keptByRule[0] ?? 0 } : {}) });
  run.countSkipped('queue', reply.queue);
  run.countSkipped('own', reply.own);
  run.countSkipped('outside', reply.outside);
  for (const key of reply.sample) if (run.summary.wantsSample) run.summary.offerSample(displayKey(key));
  if (reply.error) throw new Error(reply.error);
  return { deleted, moved: reply.moved.map((m) => m.key) };
}

/** UNLINK (or DEL) per key, pipelined; redirected keys come back for a routed retry. */
async function pipelinedDelete(run: KeyspaceRun, node: Redis, features: NodeFeatures, rule: PassRule, keys: Buffer[]): Promise<NodeResult> {
  const pipeline = node.pipeline();
  const command = deleteCommand(features).toLowerCase() as 'unlink' | 'del';
  for (const key of keys) pipeline[command](key);
  const replies = (await pipeline.exec()) ?? [];
  const moved: Buffer[] = [];
  let deleted = 0;
  let failed = 0;
  let firstError: unknown;
  replies.forEach(([error, value], i) => {
    if (error && isRedirect(error)) moved.push(keys[i]!);
    else if (error) {
      failed++;
      firstError ??= error;
    } else if (int(value) === 1) deleted++;
  });
  const name = run.connection.nodeName(node);
  run.credit(rule.target, name, { matched: deleted, deleted, failed });
  if (firstError !== undefined) run.fail(name, firstError);
  return { deleted, moved };
}

/** Dry run without scripts: which keys exist. */
async function existsCount(run: KeyspaceRun, node: Redis, rule: PassRule, keys: Buffer[]): Promise<NodeResult> {
  const pipeline = node.pipeline();
  for (const key of keys) pipeline.exists(key);
  const replies = (await pipeline.exec()) ?? [];
  let found = 0;
  replies.forEach(([error, value], i) => {
    if (error) throw error;
    if (int(value) === 1) {
      found++;
      if (run.summary.wantsSample) run.summary.offerSample(displayKey(keys[i]!));
    }
  });
  run.credit(rule.target, run.connection.nodeName(node), { matched: found });
  return { deleted: 0, moved: [] };
}

/** Without scripts (ACL): DUMP, PTTL and UNLINK of each key in one MULTI/EXEC, still atomic per key. */
async function transactionDelete(run: KeyspaceRun, node: Redis, features: NodeFeatures, rule: PassRule, keys: Buffer[]): Promise<NodeResult> {
  const command = deleteCommand(features).toLowerCase() as 'unlink' | 'del';
  const entries: CaptureEntry[] = [];
  let failed = 0;
  let firstError: unknown;
  await Promise.all(
    keys.map(async (key) => {
      try {
        const replies = (await node.multi().dumpBuffer(key).pttl(key)[command](key).exec()) ?? [];
        const [dump, ttl, removed] = replies.map(([error, value]) => {
          if (error) throw error;
          return value;
        });
        if (int(removed) === 1 && Buffer.isBuffer(dump)) entries.push({ key, ttlMs: Math.max(0, int(ttl)), dump });
      } catch (error) {
        failed++;
        firstError ??= error;
      }
    }),
  );
  const name = run.connection.nodeName(node);
  await run.deliver(node, entries);
  run.credit(rule.target, name, { matched: entries.length, deleted: entries.length, failed });
  if (firstError !== undefined) run.fail(name, firstError);
  return { deleted: entries.length, moved: [] };
}

/** Keys whose slot moved (or has no known master): one routed call each, through the cluster client. */
async function routed(run: KeyspaceRun, rule: PassRule, keys: Buffer[]): Promise<void> {
  const client = run.connection.client;
  const features = await nodeFeatures(run.connection.masters()[0]!);
  for (let i = 0; i < keys.length && !run.shouldStop(); i += ROUTED_CHUNK) {
    const chunk = keys.slice(i, i + ROUTED_CHUNK);
    const granted = await run.acquire(chunk.length);
    if (granted === 0) return;
    let deleted = 0;
    await Promise.all(
      chunk.slice(0, granted).map(async (key) => {
        try {
          const reply = await runStep(client, features.scriptFlags, stepRequest(run, rule, features, { routedKey: key }), 1);
          deleted += (await settle(run, nodeOfKey(run.connection, key), rule, reply, client)).deleted;
        } catch (error) {
          run.credit(rule.target, nodeOfKey(run.connection, key), { failed: 1 });
          run.fail(nodeOfKey(run.connection, key), error);
        }
      }),
    );
    run.release(granted, deleted);
  }
}

/** EVALSHA/EVAL denied by the ACL (or scripting unavailable): callers fall back to plain commands. */
export function isScriptDenied(error: unknown): boolean {
  const message = String((error as Error)?.message ?? error);
  return isAclDenial(message) || /unknown command .?(evalsha|eval)/i.test(message);
}
