/**
 * Checks about BullMQ queues: failed sets that grow (too many, or older than the retention says
 * they may be), stalled jobs, jobs waiting too long, events streams past their cap, keys under a
 * queue prefix that BullMQ did not write.
 */
import type { CachectlConfig } from '../../config/load.js';
import { humanDuration } from '../stats/format.js';
import type { StatsResult } from '../stats/types.js';
import { fromFindings } from './check.js';
import type { QueueProbe } from './queue-probes.js';
import type { CheckFinding, DoctorCheck } from './types.js';

/** `XADD MAXLEN ~` trims whole stream nodes only (stream-node-max-entries, default 100). */
export const EVENTS_TRIM_SLACK = 100;
const NO_QUEUES = 'no BullMQ queues found';

export function failedJobsCheck(probes: QueueProbe[], config: CachectlConfig): DoctorCheck {
  const { failedWarn, failedFail } = config.doctor;
  const retentionMs = config.queues.failedRetentionHours * 3_600_000;
  const findings: CheckFinding[] = probes.map((p) => {
    const failed = p.queue.counts.failed;
    if (failed >= failedFail) return { subject: p.queue.key, status: 'fail', message: `${failed} failed jobs (>= ${failedFail})` };
    if (failed >= failedWarn) return { subject: p.queue.key, status: 'warn', message: `${failed} failed jobs (>= ${failedWarn})` };
    if (p.oldestFailedMs !== null && p.oldestFailedMs > 2 * retentionMs) {
      return {
        subject: p.queue.key,
        status: 'warn',
        message: `oldest failed job is ${humanDuration(p.oldestFailedMs / 1000)} old, retention is ${config.queues.failedRetentionHours} h: nothing cleans the failed set`,
      };
    }
    return { subject: p.queue.key, status: 'pass', message: `${failed} failed` };
  });
  return fromFindings('failed-jobs', findings, {
    pass: `${probes.length} queue(s), failed sets within limits`,
    skip: NO_QUEUES,
    hint: 'see why with "cachectl queues inspect <queue>", retry with "cachectl queues retry", and let maintenance clean failed jobs older than queues.failedRetentionHours',
  });
}

export function stalledJobsCheck(probes: QueueProbe[]): DoctorCheck {
  const findings: CheckFinding[] = probes.map((p) =>
    p.stalled.length > 0
      ? { subject: p.queue.key, status: 'warn', message: `${p.stalled.length} of ${p.activeChecked} active job(s) have no lock (e.g. job ${p.stalled[0]})` }
      : { subject: p.queue.key, status: 'pass', message: `${p.activeChecked} active, all locked` },
  );
  return fromFindings('stalled-jobs', findings, {
    pass: 'every active job holds its lock',
    skip: NO_QUEUES,
    hint: 'an active job without a lock belongs to a worker that died or blocked its event loop; a running worker moves it back to wait within stalledInterval (30 s): is any worker running?',
  });
}

export function waitingAgeCheck(probes: QueueProbe[], config: CachectlConfig): DoctorCheck {
  const warnMs = config.doctor.waitingAgeWarnMinutes * 60_000;
  const failMs = config.doctor.waitingAgeFailMinutes * 60_000;
  const findings: CheckFinding[] = probes.map((p) => {
    if (p.oldestWaitingMs === null) return { subject: p.queue.key, status: 'pass', message: 'nothing waiting' };
    const age = `oldest waiting job is ${humanDuration(p.oldestWaitingMs / 1000)} old`;
    if (p.paused) return { subject: p.queue.key, status: 'pass', message: `${age} (queue paused)` };
    if (p.oldestWaitingMs >= failMs) return { subject: p.queue.key, status: 'fail', message: `${age} (>= ${config.doctor.waitingAgeFailMinutes} min)` };
    if (p.oldestWaitingMs >= warnMs) return { subject: p.queue.key, status: 'warn', message: `${age} (>= ${config.doctor.waitingAgeWarnMinutes} min)` };
    return { subject: p.queue.key, status: 'pass', message: age };
  });
  return fromFindings('waiting-age', findings, {
    pass: 'no job has waited long',
    skip: NO_QUEUES,
    hint: 'workers are not keeping up or not running: check the worker processes (pm2 status) and their concurrency',
  });
}

export function eventsStreamCheck(probes: QueueProbe[], config: CachectlConfig): DoctorCheck {
  const maxLen = config.queues.eventsMaxLen;
  const findings: CheckFinding[] = probes.map((p) =>
    p.eventsLength > maxLen + EVENTS_TRIM_SLACK
      ? { subject: p.queue.key, status: 'warn', message: `events stream holds ${p.eventsLength} entries (queues.eventsMaxLen ${maxLen})` }
      : { subject: p.queue.key, status: 'pass', message: `${p.eventsLength} events` },
  );
  return fromFindings('events-streams', findings, {
    pass: `every events stream within queues.eventsMaxLen (${maxLen})`,
    skip: NO_QUEUES,
    hint: 'set streams.events.maxLen in the BullMQ Queue options to match queues.eventsMaxLen, or trim now with XTRIM <queue>:events MAXLEN ~ <n>',
  });
}

/** Keys that look like a queue's but hold another type: BullMQ (and cachectl) cannot read them. */
export function queueKeysCheck(stats: StatsResult): DoctorCheck {
  const findings: CheckFinding[] = stats.malformedQueues.map((m) => ({
    subject: m.key,
    status: 'warn',
    message: `a ${m.found} where BullMQ keeps a ${m.expected}: "${m.queue}" is left out of every queue check`,
  }));
  return fromFindings('queue-keys', findings, {
    pass: 'every queue key has the type BullMQ gives it',
    hint: 'a key under a queue prefix was written by something other than BullMQ: look at it with redis-cli TYPE/DUMP, then rename or remove it (cachectl never deletes keys under queues.prefixes)',
  });
}
