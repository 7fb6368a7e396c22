/**
 * One joinable pattern pass: a `NodeSweep` on every master, in parallel. Members seated at the
 * start cover each node from cursor 0; a member that joins while the pass runs is matched from the
 * cursor each node is at and, if it missed a part, is carried into the next pass for that part
 * only. A member is complete — its keys gone — the moment its last node has covered it, not at
 * the end of the pass; on a cluster the slot map is then compared with the one taken when its
 * first pass began, and slots that moved meanwhile are rescanned on their new owner for it.
 */
import type { CachectlConfig } from '../../config/load.js';
import { PartialError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { readSlotMap, slotsOfNode, type SlotMap } from '../../redis/topology.js';
import type { KeyGuard } from '../guard.js';
import { CountTuner } from '../keyspace/count-tuner.js';
import { newRun } from '../keyspace/execute.js';
import { passNodes, settleMovedSlots } from '../keyspace/pass.js';
import { compileRules, type PassRule } from '../keyspace/rules.js';
import type { KeyspaceRun } from '../keyspace/run.js';
import { ALWAYS } from '../selection.js';
import { cursorOrder } from './cursor-order.js';
import { InterruptedError } from './interrupted.js';
import { NodeSweep, type Missed, type SweepMember } from './node-sweep.js';

/** One invalidation request inside the runner. */
export interface Member extends SweepMember {
  resolve: (outcome: { pass: number; deleted: number }) => void;
  reject: (error: unknown) => void;
  /** Undefined until its first pass; then what the next pass must still cover, per node. */
  missed?: Map<string, Missed>;
  /** Nodes of the current pass still covering it. */
  open: number;
  /** The slot map when its first pass began (cluster), to find slots that moved under it. */
  since?: SlotMap | undefined;
}

export interface PassTotals {
  members: number;
  joined: number;
  patterns: number;
  examined: number;
  matched: number;
  deleted: number;
  match: string;
  /** Some node stopped before its cursor came back to 0: only parts missed earlier were left to cover. */
  partial: boolean;
}

export interface PassContext {
  connection: RedisConnection;
  config: CachectlConfig;
  guard: KeyGuard;
  signal: AbortSignal;
  /** SCAN COUNT tuners by node, kept from pass to pass. */
  tuners: Map<string, StepTuners>;
  /** Exact deletes of the same engine: they go before each step, and make steps short while they flow. */
  exact?: ExactTraffic;
}

export interface ExactTraffic {
  settled(): Promise<void>;
  busy(): boolean;
}

/**
 * How long one step may hold the server (ms, round trip included): a step's length is what an
 * exact event can wait behind it. While exact events flow, steps are kept to about 1 ms (more
 * round trips: a pass takes longer); otherwise to the 10 ms of other pattern runs.
 */
export const BUSY_STEP_MS = 1;
export const QUIET_STEP_MS = 10;

/** A node's SCAN COUNT, learnt separately for short and for normal steps. */
export interface StepTuners {
  busy: CountTuner;
  quiet: CountTuner;
}

export class JoinablePass {
  /** Members not yet complete (carried ones included). */
  readonly members = new Set<Member>();
  /** Members that still miss a part once this pass is over. */
  readonly carry: Member[] = [];
  readonly totals: PassTotals = { members: 0, joined: 0, patterns: 0, examined: 0, matched: 0, deleted: 0, match: '', partial: false };
  private readonly run: KeyspaceRun;
  private readonly targets = new Map<string, number>();
  private nodes: Array<NodeSweep<Member>> | undefined;
  private early: Member[] = [];
  private ending = false;
  private startMap: SlotMap | undefined;
  private settling: Promise<void>[] = [];
  private verifyQueue: Member[] = [];
  private verifying: Promise<void> | undefined;

  constructor(
    readonly number: number,
    private readonly ctx: PassContext,
  ) {
    this.run = newRun(ctx.connection, ctx.config, 'listen', ctx.guard, { signal: ctx.signal }, ctx.config.invalidation.scanCount);
  }

  /** Run the pass for `initial` (new members and carried ones); resolves when every node loop ended. */
  async execute(initial: Member[]): Promise<void> {
    const { connection } = this.ctx;
    const cluster = connection.mode === 'cluster';
    for (const member of initial) this.admit(member);
    if (cluster) this.startMap = await readSlotMap(connection).catch(() => undefined);
    const masters = passNodes(this.run);
    const orders = await Promise.all(masters.map((node) => cursorOrder(node, cluster)));
    this.nodes = masters.map((node, i) => {
      const name = connection.nodeName(node);
      let tuners = this.ctx.tuners.get(name);
      if (!tuners) {
        const count = this.run.options.count ?? this.run.context.count;
        tuners = { busy: new CountTuner(count, { targetMs: BUSY_STEP_MS }), quiet: new CountTuner(count, { targetMs: QUIET_STEP_MS }) };
        this.ctx.tuners.set(name, tuners);
      }
      const { exact } = this.ctx;
      return new NodeSweep<Member>(node, name, {
        run: this.run,
        order: orders[i]!,
        tuner: () => (exact?.busy() ? tuners.busy : tuners.quiet),
        ...(exact ? { yieldTo: () => exact.settled() } : {}),
        target: (pattern) => this.target(pattern),
        leave: (member, missed) => this.leave(name, member, missed),
        stepped: (step) => {
          this.totals.examined += step.examined;
          this.totals.matched += step.matched;
          this.totals.deleted += step.deleted;
          if (!this.totals.match && step.match) this.totals.match = step.match.toString('latin1');
        },
      });
    });
    for (const member of [...initial, ...this.early]) this.seat(member, member.missed);
    this.early = [];
    await Promise.all(this.nodes.map((sweep) => this.guarded(sweep)));
    this.ending = true;
    this.totals.partial = this.nodes.some((sweep) => !sweep.ended);
    await Promise.all(this.settling);
    if (this.run.shouldStop()) {
      const error = this.failure();
      for (const member of this.members) member.reject(error);
      this.members.clear();
      this.carry.length = 0;
    }
  }

  /** Join the running pass; false when it takes no one any more (the member waits for the next). */
  join(member: Member): boolean {
    if (this.ending || this.run.shouldStop()) return false;
    this.admit(member);
    this.totals.joined++;
    if (!this.nodes) {
      this.early.push(member);
      return true;
    }
    member.since ??= this.startMap;
    member.missed = new Map();
    for (const sweep of this.nodes) {
      if (sweep.join(member)) member.open++;
      else member.missed.set(sweep.name, 'all');
    }
    if (member.open === 0) this.carry.push(member);
    return true;
  }

  private admit(member: Member): void {
    this.members.add(member);
    this.totals.members++;
    for (const pattern of member.patterns) this.target(pattern);
  }

  /** Seat a member on the nodes it needs: all of them when new, else its missed parts. */
  private seat(member: Member, missed: Map<string, Missed> | undefined): void {
    member.since ??= this.startMap;
    member.missed = new Map();
    member.open = 0;
    for (const sweep of this.nodes!) {
      const need = missed === undefined ? 'all' : missed.get(sweep.name);
      if (need === undefined) continue;
      sweep.add(member, need);
      member.open++;
    }
    if (member.open === 0) this.complete(member);
  }

  private leave(node: string, member: Member, missed: Missed | undefined): void {
    if (missed !== undefined) member.missed!.set(node, missed);
    if (--member.open > 0) return;
    if (member.missed!.size > 0) this.carry.push(member);
    else this.complete(member);
  }

  /** Every node covered the member: check the slot map (cluster), then its keys are gone. */
  private complete(member: Member): void {
    if (!member.since) return this.resolve([member]);
    this.verifyQueue.push(member);
    if (this.verifying) return;
    this.verifying = this.verify().finally(() => (this.verifying = undefined));
    this.settling.push(this.verifying);
  }

  /**
   * Members completed meanwhile, one batch at a time: for each slot map they started from, one
   * comparison with the map now and one rescan of the slots that moved, for all their patterns.
   */
  private async verify(): Promise<void> {
    while (this.verifyQueue.length > 0) {
      const batch = this.verifyQueue.splice(0);
      const bySince = new Map<SlotMap, Member[]>();
      for (const member of batch) bySince.set(member.since!, [...(bySince.get(member.since!) ?? []), member]);
      for (const [since, members] of bySince) {
        if (this.run.shouldStop()) return; // the pass fails: they are rejected with the others
        const owners = new Map<number, Member>();
        const rules: PassRule[] = [];
        for (const member of members) {
          for (const pattern of member.patterns) {
            const target = this.target(pattern);
            if (owners.has(target)) continue;
            owners.set(target, member);
            rules.push({ target, pattern, condition: ALWAYS });
          }
        }
        const byTarget = this.run.summary.byTarget;
        const before = rules.map((r) => byTarget[r.target]!.deleted);
        await settleMovedSlots(this.run, compileRules(rules), 'listen', since);
        rules.forEach((r, i) => (owners.get(r.target)!.deleted += byTarget[r.target]!.deleted - before[i]!));
      }
      this.resolve(batch);
    }
  }

  private resolve(members: Member[]): void {
    if (this.run.shouldStop()) return; // the pass fails: they are rejected with the others
    for (const member of members) {
      this.members.delete(member);
      member.resolve({ pass: this.number, deleted: member.deleted });
    }
  }

  private target(pattern: Buffer): number {
    const id = pattern.toString('latin1');
    let target = this.targets.get(id);
    if (target === undefined) {
      target = this.run.addTarget({ label: `pattern ${this.targets.size}`, kind: 'pattern' });
      this.targets.set(id, target);
      this.totals.patterns++;
    }
    return target;
  }

  /** A node loop's failure becomes the run's (naming the node and its slots); the others stop. */
  private async guarded(sweep: NodeSweep<Member>): Promise<void> {
    const slots = slotsOfNode(this.ctx.connection, sweep.name);
    try {
      await sweep.run();
    } catch (error) {
      this.run.fail(slots ? `${sweep.name} (slots ${slots})` : sweep.name, error);
    }
  }

  /** Why the pass stopped: the raw cause of a failure (a lost connection is retried), or the abort reason. */
  private failure(): unknown {
    try {
      this.run.finish([]);
    } catch (error) {
      return error instanceof PartialError && error.cause !== undefined ? error.cause : error;
    }
    return this.ctx.signal.reason ?? new InterruptedError('pass stopped');
  }
}
