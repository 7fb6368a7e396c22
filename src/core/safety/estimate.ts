/**
 * How many keys a plan will touch, estimated cheaply before asking: exact selections count the
 * keys they name; patterns are counted by a short sample of the keyspace — from cursor 0, bounded
 * SCAN steps (which visit hash buckets spread over the whole table) on every master, each key
 * tested against the guard and the rules on the server, up to a key and time budget. A sample that
 * reaches the end of a master is an exact count there; otherwise its share is extrapolated to the
 * master's size. Optionally, the payload size (MEMORY USAGE of sampled matches, or their DUMP size
 * where MEMORY is denied) for the free-space check of a backup.
 */
import { type Cluster, type Redis } from 'ioredis';
import type { RedisConnection } from '../../redis/connect.js';
import { nodeFeatures } from '../../redis/features.js';
import { createRouter, passMasters, slotsOfNode, UNCOVERED_HINT } from '../../redis/topology.js';
import { ConnectionError } from '../../errors.js';
import { uniqueBuffers } from '../buffers.js';
import type { KeyGuard } from '../guard.js';
import { isScriptDenied } from '../keyspace/given-keys.js';
import { compileRules, type CompiledRules, type PassRule } from '../keyspace/rules.js';
import { runStep } from '../keyspace/step.js';
import type { Plan } from '../plan.js';
import { ALWAYS } from '../selection.js';

export interface Estimate {
  /** Keys the run is expected to act on. */
  keys: number;
  /** `named`: exact keys listed by the plan; `counted`: every master examined; `sampled`: extrapolated. */
  method: 'named' | 'counted' | 'sampled';
  /** Keys examined by the sample, out of `total` keys on the masters. */
  sampled: number;
  total: number;
  /** A cautious upper bound, used for decisions (a sample that saw few matches may have missed some). */
  upper: number;
  /** Estimated payload of those keys in bytes, when asked for. */
  bytes?: number;
}

export interface EstimateOptions {
  /** Also estimate the payload size (for a backup's free-space check). */
  bytes?: boolean;
  /** Keys to examine per master at most (default 20,000). */
  keysPerMaster?: number;
  /** Time per master at most (default 250 ms). */
  msPerMaster?: number;
}

const SAMPLE_COUNT = 1000;
const SIZE_SAMPLES = 50;

/** Estimate what `plan` will touch on `connection` under `guard`. */
export async function estimatePlan(connection: RedisConnection, guard: KeyGuard, plan: Plan, options: EstimateOptions = {}): Promise<Estimate> {
  const exactKeys = uniqueBuffers(plan.selections.flatMap((s) => (s.kind === 'exact' ? s.keys : []))).filter((key) => !guard.protects(key));
  const rules: PassRule[] = plan.selections.flatMap((s) => (s.kind === 'pattern' ? [{ target: 0, pattern: s.pattern, condition: ALWAYS }] : []));
  const estimate: Estimate = { keys: exactKeys.length, method: 'named', sampled: 0, total: 0, upper: exactKeys.length };
  const samples: Buffer[] = exactKeys.slice(0, SIZE_SAMPLES);
  if (rules.length > 0) {
    const compiled = compileRules(rules, { native: false });
    const perNode = await Promise.all(
      passMasters(connection).masters.map((node) => sampleNode(node, guard, compiled, options).catch((error: unknown) => nodeError(connection, node, error))),
    );
    let complete = true;
    for (const node of perNode) {
      estimate.sampled += node.examined;
      estimate.total += node.size;
      estimate.keys += node.complete || node.examined === 0 ? node.matched : Math.round((node.matched * node.size) / node.examined);
      estimate.upper += node.complete || node.examined === 0 ? node.matched : Math.ceil(((node.matched + 3) * node.size) / node.examined);
      complete &&= node.complete;
      samples.push(...node.sample);
    }
    estimate.method = complete ? 'counted' : 'sampled';
  }
  if (options.bytes)
    estimate.bytes = estimate.keys === 0 ? 0 : Math.ceil(averageBytes(await sizesOf(connection, samples.slice(0, SIZE_SAMPLES))) * estimate.keys);
  return estimate;
}

interface NodeSample {
  size: number;
  examined: number;
  matched: number;
  complete: boolean;
  sample: Buffer[];
}

async function sampleNode(node: Redis, guard: KeyGuard, compiled: CompiledRules, options: EstimateOptions): Promise<NodeSample> {
  const { args: ruleArgs, ruleOf } = compiled;
  const ruleCount = compiled.rules.length;
  const size = await node.dbsize();
  const out: NodeSample = { size, examined: 0, matched: 0, complete: false, sample: [] };
  if (size === 0) return { ...out, complete: true };
  const features = await nodeFeatures(node);
  const maxKeys = options.keysPerMaster ?? 20_000;
  const deadline = performance.now() + (options.msPerMaster ?? 250);
  const guardArgs = guard.scriptArgs();
  let scripts = true;
  let cursor = '0';
  do {
    if (scripts) {
      try {
        const reply = await runStep(
          node,
          features.scriptFlags,
          {
            cursor,
            count: SAMPLE_COUNT,
            budget: 1,
            action: 'COUNT',
            capture: false,
            sample: SIZE_SAMPLES - out.sample.length,
            guard: guardArgs,
            rules: ruleArgs,
          },
          ruleCount,
        );
        out.examined += reply.examined;
        out.matched += reply.matched.reduce((a, b) => a + b, 0);
        out.sample.push(...reply.sample);
        cursor = reply.cursor;
        continue;
      } catch (error) {
        if (!isScriptDenied(error) || cursor !== '0') throw error;
        scripts = false;
      }
    }
    // No scripts for this user: the same sample, with the keys tested here.
    const [next, keys] = (await node.callBuffer('SCAN', cursor, 'COUNT', SAMPLE_COUNT)) as [Buffer, Buffer[]];
    out.examined += keys.length;
    for (const key of keys) {
      if (guard.protects(key) || ruleOf(key) < 0) continue;
      out.matched++;
      if (out.sample.length < SIZE_SAMPLES) out.sample.push(key);
    }
    cursor = next.toString();
  } while (cursor !== '0' && out.examined < maxKeys && performance.now() < deadline);
  out.complete = cursor === '0';
  return out;
}

/** A node that fails while sampling, named with its slots (as the engine names a node it loses). */
function nodeError(connection: RedisConnection, node: Redis, error: unknown): never {
  const name = connection.nodeName(node);
  const slots = slotsOfNode(connection, name);
  const wrapped = connection.wrapError(error);
  if (!(wrapped instanceof ConnectionError) || connection.mode !== 'cluster') throw wrapped;
  throw new ConnectionError(`${slots ? `${name} (slots ${slots})` : name}: ${wrapped.message}`, { cause: error, hint: wrapped.hint ?? UNCOVERED_HINT });
}

/** MEMORY USAGE of each key (DUMP length where MEMORY is denied); missing keys are left out. */
async function sizesOf(connection: RedisConnection, keys: Buffer[]): Promise<number[]> {
  if (keys.length === 0) return [];
  const sizes: number[] = [];
  const { groups, unrouted } = createRouter(connection)(keys, (key) => key);
  const targets: Array<{ client: Redis | Cluster; keys: Buffer[] }> = groups.map((g) => ({ client: g.node, keys: g.items }));
  if (unrouted.length > 0) targets.push({ client: connection.client, keys: unrouted });
  for (const { client, keys: list } of targets) {
    for (const key of list) {
      let size: number | null;
      try {
        size = (await client.call('MEMORY', 'USAGE', key)) as number | null;
      } catch {
        const dump = await client.dumpBuffer(key).catch(() => null);
        size = dump ? dump.length : null;
      }
      if (typeof size === 'number') sizes.push(size);
    }
  }
  return sizes;
}

function averageBytes(sizes: number[]): number {
  return sizes.length === 0 ? 0 : sizes.reduce((a, b) => a + b, 0) / sizes.length;
}
