/**
 * The shape of `cachectl doctor` (also its documented `--json` output).
 */

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export type CheckId =
  | 'connectivity'
  | 'server-version'
  | 'eviction-policy'
  | 'ttl-coverage'
  | 'fragmentation'
  | 'maintenance'
  | 'failed-jobs'
  | 'stalled-jobs'
  | 'waiting-age'
  | 'events-streams'
  | 'queue-keys'
  | 'invalidation-stream'
  | 'tenants'
  | 'ecosystem';

/** Human titles of the checks, in report order. */
export const CHECK_TITLES: Record<CheckId, string> = {
  connectivity: 'Connectivity and latency',
  'server-version': 'Server version',
  'eviction-policy': 'Eviction policy vs content',
  'ttl-coverage': 'Cache keys without TTL',
  fragmentation: 'Memory fragmentation',
  maintenance: 'Scheduled maintenance',
  'failed-jobs': 'Failed jobs',
  'stalled-jobs': 'Stalled jobs',
  'waiting-age': 'Old waiting jobs',
  'events-streams': 'Queue events streams',
  'queue-keys': 'Queue key types',
  'invalidation-stream': 'Invalidation stream',
  tenants: 'Tenant namespaces',
  ecosystem: 'PM2 ecosystem file',
};

/** One judged item inside a check: a master, a family, a queue, an app of the ecosystem file. */
export interface CheckFinding {
  subject: string;
  status: CheckStatus;
  message: string;
}

export interface DoctorCheck {
  id: CheckId;
  title: string;
  /** The worst status of the findings (or the check's own verdict when it has none). */
  status: CheckStatus;
  message: string;
  /** What to do about it; always set when the status is warn or fail. */
  hint: string | null;
  findings: CheckFinding[];
}

export interface DoctorResult {
  target: string;
  timestamp: string;
  durationMs: number;
  /** `fail` when any check failed, else `warn` when any warned, else `pass`. */
  status: 'pass' | 'warn' | 'fail';
  counts: Record<CheckStatus, number>;
  /** How key-level facts were gathered (see `stats`). */
  sampling: { method: 'exact' | 'sample'; inspected: number } | null;
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  /** Keys drawn for the key checks (default 10 000); see `StatsOptions.sample`. */
  sample?: number;
  /** Count every key (one server-side pass) instead of sampling. */
  exact?: boolean;
  /**
   * PM2 ecosystem file to lint. Default `ecosystem.config.cjs` in `cwd`, skipped when absent;
   * `null` skips the check.
   */
  ecosystemFile?: string | null;
  cwd?: string;
  /** cachectl command names the ecosystem lint accepts (the CLI passes its registered commands). */
  commands?: readonly string[];
  now?: Date;
  signal?: AbortSignal;
  onProgress?: (phase: string) => void;
}

/** Worst of a list of statuses (`skip` counts as nothing). */
export function worst(statuses: CheckStatus[], empty: CheckStatus = 'pass'): CheckStatus {
  if (statuses.includes('fail')) return 'fail';
  if (statuses.includes('warn')) return 'warn';
  if (statuses.includes('pass')) return 'pass';
  return statuses.length > 0 ? 'skip' : empty;
}
