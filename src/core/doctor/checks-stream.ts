/**
 * The invalidation stream: events lost to its cap (`invalidation.maxLen`) — trimmed before a
 * listener applied them, in the last 7 days — a lag close to the cap (the next burst will lose
 * events), or events published that no listener ever read. The fix is the same: raise the cap
 * (and run a listener).
 */
import type { CachectlConfig } from '../../config/load.js';
import type { ListenStatus } from '../invalidation/status.js';
import { fromFindings, verdict } from './check.js';
import type { CheckFinding, DoctorCheck } from './types.js';

const RECENT_MS = 7 * 86_400_000;
const NEAR_CAP = 0.8;

/** Judge a `listen --status` (or the reason it could not be read). */
export function invalidationStreamCheck(status: ListenStatus | Error, config: CachectlConfig, now: Date): DoctorCheck {
  if (status instanceof Error) return verdict('invalidation-stream', 'skip', `could not read ${config.invalidation.stream}: ${status.message}`);
  const { maxLen } = config.invalidation;
  const fix = `raise invalidation.maxLen (now ${maxLen}) so bursts fit until the listeners catch up, and keep "cachectl listen" running (see docs/invalidation.md)`;
  if (!status.exists && status.trimmed.total === 0) return verdict('invalidation-stream', 'pass', `nothing was published to ${status.stream} yet`);
  const findings: CheckFinding[] = [];
  const t = status.trimmed;
  const last = t.lastAt ? Date.parse(t.lastAt) : null;
  if (t.total > 0 && (last === null || now.getTime() - last <= RECENT_MS)) {
    findings.push({
      subject: status.stream,
      status: 'warn',
      message: `${t.total} event(s) trimmed by the cap before they were applied (${t.pending} pending, ${t.undelivered} never delivered)${t.lastAt ? `, last ${t.lastAt}` : ''}`,
    });
  }
  if (!status.groupExists && status.length > 0) {
    findings.push({
      subject: status.stream,
      status: 'warn',
      message: `${status.length} event(s) published that no listener ever read (group ${status.group} does not exist)`,
    });
  } else if (status.lag !== null && status.lag >= NEAR_CAP * maxLen) {
    findings.push({
      subject: status.stream,
      status: 'warn',
      message: `lag ${status.lag} is ${Math.round((100 * status.lag) / maxLen)}% of invalidation.maxLen (${maxLen})`,
    });
  }
  if (findings.length === 0) findings.push({ subject: status.stream, status: 'pass', message: `lag ${status.lag ?? 'unknown'}, nothing trimmed` });
  return fromFindings('invalidation-stream', findings, { pass: `lag ${status.lag ?? 'unknown'} of at most ${maxLen}, no event lost to the cap`, hint: fix });
}
