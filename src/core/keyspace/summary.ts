/**
 * What every clearing run returns (and the CLI prints, and the audit log records): counts per
 * node and per target, how long it took, and whether it stopped early. Labels only, no values.
 */
import { compareNodeNames } from '../../redis/node-order.js';

/** Counts of one master node. */
export interface NodeSummary {
  /** `host:port` of the master. */
  node: string;
  scanned: number;
  matched: number;
  deleted: number;
  failed: number;
}

/** Counts of one target (a family selection or a pattern) of the run. */
export interface TargetSummary {
  /** Label, e.g. `convMapping(conversationId)`, `context`, `pattern "x:*"`. Never placeholder values. */
  target: string;
  family?: string;
  /** How it was selected: exact keys (no scan), a SCAN pattern, or a pattern with an age test. */
  kind: 'exact' | 'pattern' | 'conditional';
  matched: number;
  deleted: number;
  failed: number;
  /** Conditional runs: keys that exist but are too young (or carry no timestamp). */
  kept?: number;
  durationMs: number;
}

/** The result of `invalidate`, `clear-all`, `clear-old`, `clear-user` (and their dry runs). */
export interface RunSummary {
  command: string;
  /** Families / patterns acted on (labels, no values). */
  targets: string[];
  dryRun: boolean;
  /**
   * Keys the keyspace pass covered: for a master whose pass completed, its size (DBSIZE) when the
   * pass started; for a pass stopped early, an estimate (the COUNT hints sent, never less than
   * what it matched there). A run makes one pass per master whatever the number of patterns;
   * exact selections scan nothing.
   */
  scanned: number;
  /** Keys that matched (dry run: that would be deleted). */
  matched: number;
  deleted: number;
  /** Keys whose delete failed (e.g. a slot moved during the run). */
  failed: number;
  /** Keys under a queue prefix that matched and were left alone. */
  skippedQueueKeys: number;
  /** cachectl's own keys (lock, run records, streams) that matched and were left alone. */
  skippedOwnKeys: number;
  /** Tenant-restricted runs: matched keys outside `tenant:<id>:` that the engine refused to touch (should be 0). */
  skippedOutsidePrefix?: number;
  /** Tenant-restricted runs (`--tenant`): the tenant and the families left out. */
  tenant?: { id: string; skippedFamilies: string[] };
  /** Conditional runs (`clear-old`): matched keys kept because they are too young or undated. */
  kept?: number;
  nodes: NodeSummary[];
  byTarget: TargetSummary[];
  durationMs: number;
  /** Stopped by the abort signal (Ctrl-C) after the batch in hand. */
  interrupted: boolean;
  /** Stopped because `limit` deletions were reached (dry run: more matched than `limit`). */
  limitReached: boolean;
  /** Dry runs: a few matching keys, escaped for display (`displayKey`). */
  sample?: string[];
  /** Nodes that failed part-way (message per node); the run is then partial. */
  errors?: string[];
}

/** Accumulates counts from parallel node loops into one summary. */
export class SummaryBuilder {
  private readonly nodeMap = new Map<string, NodeSummary>();
  private readonly started = performance.now();
  readonly byTarget: TargetSummary[] = [];
  readonly sample: string[] = [];
  readonly errors: string[] = [];
  scanned = 0;
  skippedQueueKeys = 0;
  skippedOwnKeys = 0;
  /** Set (to 0) when the run has a tenant guard. */
  skippedOutsidePrefix: number | undefined;
  /** Set by tenant-restricted operations. */
  tenant: { id: string; skippedFamilies: string[] } | undefined;
  kept = 0;
  interrupted = false;
  limitReached = false;

  constructor(
    readonly command: string,
    readonly dryRun: boolean,
    private readonly sampleSize = 10,
  ) {}

  node(name: string): NodeSummary {
    let entry = this.nodeMap.get(name);
    if (!entry) {
      entry = { node: name, scanned: 0, matched: 0, deleted: 0, failed: 0 };
      this.nodeMap.set(name, entry);
    }
    return entry;
  }

  /** Record counts for a node (and the run totals, which are sums over nodes). */
  add(name: string, counts: Partial<Omit<NodeSummary, 'node'>>): void {
    const entry = this.node(name);
    entry.scanned += counts.scanned ?? 0;
    entry.matched += counts.matched ?? 0;
    entry.deleted += counts.deleted ?? 0;
    entry.failed += counts.failed ?? 0;
    this.scanned += counts.scanned ?? 0;
  }

  /** Keep a few displayable keys (dry run). */
  offerSample(displayed: string): void {
    if (this.sample.length < this.sampleSize) this.sample.push(displayed);
  }

  get wantsSample(): boolean {
    return this.sample.length < this.sampleSize;
  }

  totals(): { matched: number; deleted: number; failed: number } {
    let matched = 0;
    let deleted = 0;
    let failed = 0;
    for (const n of this.nodeMap.values()) {
      matched += n.matched;
      deleted += n.deleted;
      failed += n.failed;
    }
    return { matched, deleted, failed };
  }

  finish(targets: string[], conditional = false): RunSummary {
    const nodes = [...this.nodeMap.values()].sort((a, b) => compareNodeNames(a.node, b.node));
    const summary: RunSummary = {
      command: this.command,
      targets,
      dryRun: this.dryRun,
      scanned: this.scanned,
      ...this.totals(),
      skippedQueueKeys: this.skippedQueueKeys,
      skippedOwnKeys: this.skippedOwnKeys,
      nodes,
      byTarget: this.byTarget,
      durationMs: Math.round((performance.now() - this.started) * 100) / 100,
      interrupted: this.interrupted,
      limitReached: this.limitReached,
    };
    if (this.skippedOutsidePrefix !== undefined) summary.skippedOutsidePrefix = this.skippedOutsidePrefix;
    if (this.tenant) summary.tenant = this.tenant;
    if (conditional) summary.kept = this.kept;
    if (this.dryRun) summary.sample = this.sample;
    if (this.errors.length > 0) summary.errors = this.errors;
    return summary;
  }
}
