/**
 * Checks about the server itself: does it answer quickly, is it new enough for BullMQ, does its
 * eviction policy suit what it holds, is its memory fragmented.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { PingResult } from '../ping.js';
import { compareVersions } from '../../redis/server-info.js';
import { humanBytes } from '../stats/format.js';
import type { StatsResult } from '../stats/types.js';
import { fromFindings } from './check.js';
import type { CheckFinding, DoctorCheck } from './types.js';

/** BullMQ refuses servers older than this… */
export const BULLMQ_MIN_VERSION = '5.0.0';
/** …and recommends at least this. */
export const BULLMQ_RECOMMENDED_VERSION = '6.2.0';

export function connectivityCheck(ping: PingResult, config: CachectlConfig): DoctorCheck {
  const limit = config.doctor.latencyWarnMs;
  const findings: CheckFinding[] = ping.masters.map((m) => ({
    subject: m.address,
    status: m.latencyMs > limit ? 'warn' : 'pass',
    message: `${m.latencyMs.toFixed(2)} ms round trip${m.latencyMs > limit ? ` (above ${limit} ms)` : ''}`,
  }));
  return fromFindings('connectivity', findings, {
    pass: `${ping.masters.length} master(s) answered, slowest ${ping.latencyMs.toFixed(2)} ms`,
    hint: 'a slow round trip makes every command slow: check the network path, server load (SLOWLOG GET) and CPU',
  });
}

export function versionCheck(stats: StatsResult): DoctorCheck {
  const findings: CheckFinding[] = stats.server.masters.map((m) => {
    const label = `${m.flavor} ${m.version}${m.flavor === 'valkey' ? ` (Redis ${m.redisVersion} compatible)` : ''}`;
    if (compareVersions(m.redisVersion, BULLMQ_MIN_VERSION) < 0) return { subject: m.address, status: 'fail', message: `${label}: BullMQ needs Redis >= 5` };
    if (compareVersions(m.redisVersion, BULLMQ_RECOMMENDED_VERSION) < 0)
      return { subject: m.address, status: 'warn', message: `${label}: BullMQ recommends >= 6.2` };
    return { subject: m.address, status: 'pass', message: label };
  });
  return fromFindings('server-version', findings, {
    pass: `${findings
      .map((f) => f.message)
      .filter((v, i, a) => a.indexOf(v) === i)
      .join(', ')}`,
    hint: 'upgrade the server: BullMQ needs Redis >= 5.0 and recommends >= 6.2 (or a Valkey release)',
  });
}

export function evictionCheck(stats: StatsResult): DoctorCheck {
  const queues = stats.queues.length > 0 || stats.queueKeys.keys > 0;
  const cacheKeys = stats.families.reduce((sum, f) => sum + f.keys, 0);
  const findings: CheckFinding[] = stats.server.masters.map((m) => {
    const { policy, maxmemoryBytes } = m.memory;
    const limit = maxmemoryBytes === null ? 'maxmemory unknown' : maxmemoryBytes === 0 ? 'no maxmemory' : `maxmemory ${humanBytes(maxmemoryBytes)}`;
    if (queues && policy === 'unknown') return { subject: m.address, status: 'warn', message: `queues present, maxmemory-policy unknown (${limit})` };
    if (queues && policy !== 'noeviction') {
      return { subject: m.address, status: 'fail', message: `queues present on a server that evicts (${policy}, ${limit}): jobs can vanish` };
    }
    if (!queues && cacheKeys > 0 && policy === 'noeviction' && (maxmemoryBytes ?? 0) > 0) {
      return { subject: m.address, status: 'warn', message: `cache with ${limit} and noeviction: writes fail with OOM when full instead of evicting` };
    }
    return { subject: m.address, status: 'pass', message: `${policy}, ${limit}` };
  });
  return fromFindings('eviction-policy', findings, {
    pass: `${[...new Set(findings.map((f) => f.message))].join('; ')}${queues ? ' (queues present: noeviction is right)' : ''}`,
    hint: queues
      ? 'BullMQ needs maxmemory-policy noeviction: CONFIG SET maxmemory-policy noeviction, or move the queues to their own server'
      : 'for a pure cache set an evicting policy (e.g. CONFIG SET maxmemory-policy allkeys-lru), or raise maxmemory',
  });
}

export function fragmentationCheck(stats: StatsResult, config: CachectlConfig): DoctorCheck {
  const { fragmentationWarn, fragmentationFail, fragmentationMinUsedMb } = config.doctor;
  const minUsed = fragmentationMinUsedMb * 1024 * 1024;
  const findings: CheckFinding[] = stats.server.masters.map((m) => {
    const { fragmentationRatio: ratio, usedBytes, rssBytes } = m.memory;
    const facts = `ratio ${ratio.toFixed(2)} (rss ${humanBytes(rssBytes)}, used ${humanBytes(usedBytes)})`;
    if (usedBytes < minUsed) return { subject: m.address, status: 'pass', message: `${facts}; not judged below ${humanBytes(minUsed)} used` };
    if (ratio >= fragmentationFail) return { subject: m.address, status: 'fail', message: `${facts} >= ${fragmentationFail}` };
    if (ratio >= fragmentationWarn) return { subject: m.address, status: 'warn', message: `${facts} >= ${fragmentationWarn}` };
    if (ratio > 0 && ratio < 1) return { subject: m.address, status: 'warn', message: `${facts}: RSS below used memory, the server may be swapping` };
    return { subject: m.address, status: 'pass', message: facts };
  });
  return fromFindings('fragmentation', findings, {
    pass: findings.map((f) => `${f.subject} ${f.message}`).join('; '),
    hint: 'enable active defragmentation (CONFIG SET activedefrag yes, jemalloc builds), or restart the server in a quiet window; below 1 means swap: add memory or lower maxmemory',
  });
}
