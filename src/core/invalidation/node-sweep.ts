/**
 * One master's part of a joinable pattern pass: the keyspace-step script looped over the node's
 * SCAN cursor, with a rule set that may change between steps. A member (one invalidation request)
 * takes a seat before a step and leaves it once its part of the node is covered:
 * - seated at the start of the pass: when the cursor is back at 0;
 * - joined mid-pass at cursor J: at the end of the pass too, and it then still misses the part
 *   before J, which it reports on leaving so the next pass covers cursor 0 → J for it;
 * - carried over with such a missed part: as soon as the cursor has passed J (a partial pass).
 * A node whose cursors go backwards under the expected order (see cursor-order.ts) is not trusted
 * with partial coverage: members joined there miss the whole node, carried ones stay to the end.
 */
import type { Redis } from 'ioredis';
import { deleteCommand, nodeFeatures } from '../../redis/features.js';
import type { CountTuner } from '../keyspace/count-tuner.js';
import { actOnGivenKeys, isScriptDenied, type GivenKey } from '../keyspace/given-keys.js';
import { compileRules, type CompiledRules, type PassRule } from '../keyspace/rules.js';
import type { KeyspaceRun } from '../keyspace/run.js';
import { runStep } from '../keyspace/step.js';
import { ALWAYS } from '../selection.js';
import type { CursorOrder } from './cursor-order.js';

/** One request's patterns and the keys removed for it so far. */
export interface SweepMember {
  patterns: Buffer[];
  deleted: number;
}

/** What a member still misses on a node after this pass: the part before a cursor position, or all of it. */
export type Missed = bigint | 'all';

export interface NodeSweepContext<M> {
  run: KeyspaceRun;
  order: CursorOrder;
  /** The SCAN COUNT tuner for the next step (short steps while exact events flow). */
  tuner(): CountTuner;
  /** Awaited before each step (exact deletes go first). */
  yieldTo?: () => Promise<void>;
  /** The run's target index for a pattern (one per distinct pattern). */
  target(pattern: Buffer): number;
  /** A member's part of this node is done for this pass (`missed`: what the next pass must still cover). */
  leave(member: M, missed: Missed | undefined): void;
  /** After every step (for the pass report). */
  stepped(report: { examined: number; matched: number; deleted: number; match: Buffer | undefined }): void;
}

interface Seat {
  /** Carried: leave once the cursor has passed this position. Undefined: stay to the end. */
  until: bigint | undefined;
  /** The cursor it joined at (undefined: from the start of the pass). */
  from: string | undefined;
}

export class NodeSweep<M extends SweepMember> {
  /** The loop ran until its cursor came back to 0 (not only over parts missed earlier). */
  ended = false;
  private cursor = '0';
  private last = 0n;
  private trusted = true;
  /** No member may join any more (the loop has ended, or runs client-side). */
  private closed = false;
  private readonly seats = new Map<M, Seat>();
  private joining: M[] = [];
  private rules: { version: number; compiled: CompiledRules; owners: Map<number, M> } | undefined;
  /** Bumped whenever the seated members change (the rules are compiled again). */
  private version = 0;

  constructor(
    readonly node: Redis,
    readonly name: string,
    private readonly ctx: NodeSweepContext<M>,
  ) {}

  /** Seat a member before the loop starts: the whole node, or only the part before `missed`. */
  add(member: M, missed: Missed): void {
    this.seats.set(member, { until: missed === 'all' ? undefined : missed, from: undefined });
    this.version++;
  }

  /** Join the running loop at its next step; false once the loop can take no one. */
  join(member: M): boolean {
    if (this.closed) return false;
    this.joining.push(member);
    return true;
  }

  async run(): Promise<void> {
    try {
      await this.loop();
    } finally {
      this.closed = true;
    }
  }

  private async loop(): Promise<void> {
    const { run } = this.ctx;
    const features = await nodeFeatures(this.node);
    if (!features.scriptWritesAfterScan) return this.clientSweep();
    const action = deleteCommand(features);
    let first = true;
    for (;;) {
      await this.ctx.yieldTo?.();
      const granted = await run.acquire(run.serverBatch);
      if (granted === 0) return; // the pass is failing or stopping: it settles the seats
      this.pickUp();
      const rules = this.currentRules();
      if (!rules) {
        run.release(granted, 0);
        this.closed = true;
        return;
      }
      const { compiled, owners } = rules;
      if (compiled.rules.length === 0) {
        // No seated pattern can match any key (e.g. an empty class): nothing to scan for them.
        run.release(granted, 0);
        this.closed = true;
        for (const member of this.seats.keys()) this.ctx.leave(member, undefined);
        this.seats.clear();
        return;
      }
      const tuner = this.ctx.tuner();
      const count = tuner.count;
      const began = performance.now();
      let reply;
      try {
        reply = await runStep(
          this.node,
          features.scriptFlags,
          {
            cursor: this.cursor,
            ...(compiled.match ? { match: compiled.match } : {}),
            count,
            budget: granted,
            action,
            capture: false,
            guard: run.guard.scriptArgs(compiled.match),
            rules: compiled.args,
          },
          compiled.rules.length,
        );
      } catch (error) {
        run.release(granted, 0);
        if (first && isScriptDenied(error)) return this.clientSweep();
        throw error;
      }
      first = false;
      const elapsed = performance.now() - began;
      const deleted = reply.acted.reduce((a, b) => a + b, 0);
      const matched = reply.matched.reduce((a, b) => a + b, 0);
      run.release(granted, deleted);
      compiled.rules.forEach((rule, i) => {
        if (reply.acted[i]) owners.get(rule.target)!.deleted += reply.acted[i]!;
        if (reply.matched[i] || reply.acted[i]) run.credit(rule.target, this.name, { matched: reply.matched[i]!, deleted: reply.acted[i]! });
      });
      run.countSkipped('queue', reply.queue);
      run.countSkipped('own', reply.own);
      run.countSkipped('outside', reply.outside);
      if (reply.moved.length > 0) await this.given(reply.moved.map((m) => ({ key: m.key, rule: compiled.rules[m.rule]! })));
      if (reply.error) throw new Error(reply.error);
      tuner.update(elapsed, matched + reply.pending + reply.queue + reply.own, reply.pending > 0, granted);
      this.ctx.stepped({ examined: reply.examined, matched, deleted, match: compiled.match });
      // A step left pending is repeated at the same cursor: nothing is covered yet.
      if (reply.pending > 0) continue;
      if (this.advance(reply.cursor)) return;
    }
  }

  /** Move to the next cursor; true when the loop is over (back at 0). */
  private advance(next: string): boolean {
    if (next === '0') {
      this.closed = true;
      this.ended = true;
      for (const [member, seat] of this.seats) this.ctx.leave(member, this.missed(seat));
      this.seats.clear();
      // Asked to join while the last step was in flight: they saw none of this node.
      for (const member of this.joining.splice(0)) this.ctx.leave(member, 'all');
      return true;
    }
    const position = this.ctx.order.position(next);
    if (position < this.last) this.trusted = false;
    this.last = position;
    this.cursor = next;
    for (const [member, seat] of this.seats) {
      if (seat.until === undefined || !this.trusted || position < seat.until) continue;
      this.seats.delete(member);
      this.version++;
      this.ctx.leave(member, undefined);
    }
    return false;
  }

  /** What a member leaving at the end of the pass still misses. */
  private missed(seat: Seat): Missed | undefined {
    if (seat.from === undefined) return undefined;
    if (!this.trusted) return 'all';
    const position = this.ctx.order.position(seat.from);
    return position === 0n ? undefined : position;
  }

  /** Members that asked to join take their seat at the cursor of the next step. */
  private pickUp(): void {
    if (this.joining.length === 0) return;
    for (const member of this.joining) if (!this.seats.has(member)) this.seats.set(member, { until: undefined, from: this.cursor });
    this.joining = [];
    this.version++;
  }

  /** The rules of the seated members (first member wins a shared pattern); undefined when no one is seated. */
  private currentRules(): { compiled: CompiledRules; owners: Map<number, M> } | undefined {
    if (this.seats.size === 0) return undefined;
    if (this.rules?.version === this.version) return this.rules;
    const owners = new Map<number, M>();
    const rules: PassRule[] = [];
    for (const member of this.seats.keys()) {
      for (const pattern of member.patterns) {
        const target = this.ctx.target(pattern);
        if (owners.has(target)) continue;
        owners.set(target, member);
        rules.push({ target, pattern, condition: ALWAYS });
      }
    }
    this.rules = { version: this.version, compiled: compileRules(rules), owners };
    return this.rules;
  }

  /** Keys acted on through the cluster client (moved slots) or pipelines, credited to their owners. */
  private async given(items: GivenKey[]): Promise<void> {
    const byTarget = this.ctx.run.summary.byTarget;
    const targets = [...new Set(items.map((item) => item.rule.target))];
    const before = targets.map((t) => byTarget[t]!.deleted);
    await actOnGivenKeys(this.ctx.run, items);
    const owners = this.rules?.owners;
    targets.forEach((t, i) => {
      const owner = owners?.get(t);
      if (owner) owner.deleted += byTarget[t]!.deleted - before[i]!;
    });
  }

  /** Without scripts: one client-side SCAN of the node for the members seated now; no one joins it. */
  private async clientSweep(): Promise<void> {
    const { run } = this.ctx;
    this.pickUp();
    this.closed = true;
    const rules = this.currentRules();
    if (rules) {
      const { compiled } = rules;
      await run.scanInChunks(this.node, compiled.match ?? Buffer.from('*'), 'listen', 0, async (chunk) => {
        const items: GivenKey[] = [];
        for (const key of chunk) {
          const rule = compiled.ruleOf(key);
          if (rule >= 0) items.push({ key, rule: compiled.rules[rule]! });
        }
        run.release(chunk.length, 0);
        await this.given(items);
      });
      if (run.shouldStop()) return;
    }
    for (const [member, seat] of this.seats) this.ctx.leave(member, seat.from === undefined || seat.from === '0' ? undefined : 'all');
    this.seats.clear();
  }
}
