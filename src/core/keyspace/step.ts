/**
 * One call of the keyspace-step script (see its header): a bounded SCAN step on a node, or a batch
 * of given keys, with the key guard and the rules; the reply decoded.
 */
import type { Cluster, Redis } from 'ioredis';
import { int, runScript, type ScriptArg } from '../scripts/index.js';
import type { CaptureEntry } from './run.js';

export type StepAction = 'COUNT' | 'UNLINK' | 'DEL';

export interface StepRequest {
  /** A SCAN cursor, or undefined for keys mode. */
  cursor?: string;
  match?: Buffer;
  count?: number;
  /** Most keys the call may act on (ignored by COUNT). */
  budget: number;
  action: StepAction;
  capture: boolean;
  /** COUNT: sample keys to return. */
  sample?: number;
  /** `KeyGuard.scriptArgs()`. */
  guard: ScriptArg[];
  /** `CompiledRules.args`. */
  rules: ScriptArg[];
  /** Keys mode: the candidates, all on the node the call goes to. */
  keys?: readonly Buffer[];
  /** Keys mode through a cluster client: the one key, declared so the client routes the call. */
  routedKey?: Buffer;
}

export interface StepReply {
  cursor: string;
  examined: number;
  pending: number;
  outside: number;
  queue: number;
  own: number;
  kept: number;
  undated: number;
  /** The first unexpected error inside the step ('' when none). */
  error: string;
  /** Per rule. */
  matched: number[];
  acted: number[];
  /** Per rule: matched but not acted on (too young, or no readable timestamp). */
  keptByRule: number[];
  /** COUNT: sample keys. */
  sample: Buffer[];
  /** Capture: what was deleted. */
  entries: CaptureEntry[];
  /** Keys that belong to another node now, with the index of the rule they matched. */
  moved: Array<{ key: Buffer; rule: number }>;
}

/** Run one step on `client` (a node, or a cluster client for a routed key). */
export async function runStep(client: Redis | Cluster, scriptFlags: boolean, request: StepRequest, ruleCount: number): Promise<StepReply> {
  const head: ScriptArg[] = [
    request.cursor ?? '-',
    request.match ?? '',
    request.count ?? 0,
    Math.max(1, request.budget),
    request.action,
    request.capture ? '1' : '0',
    request.sample ?? 0,
    ...request.guard,
    ...request.rules,
  ];
  const keys = request.routedKey ? [request.routedKey] : [];
  const reply = await runScript(client, 'keyspace-step', scriptFlags, keys, request.routedKey ? head : [...head, ...(request.keys ?? [])]);
  return decode(reply, ruleCount, request);
}

function decode(reply: unknown[], rules: number, request: StepRequest): StepReply {
  const at = (i: number) => int(reply[i]);
  const out: StepReply = {
    cursor: String(reply[0]),
    examined: at(1),
    pending: at(2),
    outside: at(3),
    queue: at(4),
    own: at(5),
    kept: at(6),
    undated: at(7),
    error: Buffer.isBuffer(reply[8]) ? reply[8].toString('utf8') : String(reply[8] ?? ''),
    matched: [],
    acted: [],
    keptByRule: [],
    sample: [],
    entries: [],
    moved: [],
  };
  let i = 9;
  for (let r = 0; r < rules; r++) out.matched.push(at(i++));
  for (let r = 0; r < rules; r++) out.acted.push(at(i++));
  for (let r = 0; r < rules; r++) out.keptByRule.push(at(i++));
  const items = at(i++);
  if (request.action === 'COUNT') {
    for (let k = 0; k < items; k++) out.sample.push(reply[i++] as Buffer);
  } else {
    for (let k = 0; k < items; k += 3) {
      const ttl = int(reply[i + 1]);
      out.entries.push({ key: reply[i] as Buffer, ttlMs: ttl > 0 ? ttl : 0, dump: reply[i + 2] as Buffer });
      i += 3;
    }
  }
  const moved = at(i++);
  for (let k = 0; k < moved; k++) {
    out.moved.push({ key: reply[i] as Buffer, rule: int(reply[i + 1]) - 1 });
    i += 2;
  }
  return out;
}
