/**
 * `runDoctor`: every health check in one read-only pass. Key-level facts come from
 * `collectStats` (sampled unless `exact`), queue facts from a few reads per queue.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { CachectlError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { collectPing } from '../ping.js';
import { collectStats } from '../stats/collect.js';
import { verdict } from './check.js';
import { collectListenStatus } from '../invalidation/status.js';
import { ecosystemCheck } from './checks-ecosystem.js';
import { censusChecks } from './census-checks.js';
import { tenantsCheck } from './checks-keys.js';
import { queueKeysCheck } from './checks-queues.js';
import { invalidationStreamCheck } from './checks-stream.js';
import { probeQueue } from './queue-probes.js';
import type { CheckId, CheckStatus, DoctorCheck, DoctorOptions, DoctorResult } from './types.js';

/** Run every check against `connection`. Rejects only when the server stops answering. */
export async function runDoctor(connection: RedisConnection, config: CachectlConfig, options: DoctorOptions = {}): Promise<DoctorResult> {
  const started = performance.now();
  const now = options.now ?? new Date();
  options.onProgress?.('connectivity');
  const ping = await collectPing(connection);
  options.onProgress?.('keys');
  const stats = await collectStats(connection, config, {
    ...(options.sample !== undefined ? { sample: options.sample } : {}),
    exact: options.exact === true,
    // A health check must see every queue: one MATCH pass rather than the record + sample.
    scanQueues: true,
    // Tenant namespaces seen in the keyspace, to name those the config does not list.
    tenants: true,
    signal: options.signal,
    now,
  });
  options.onProgress?.('queues');
  let probes;
  try {
    probes = await Promise.all(stats.queues.map((queue) => probeQueue(connection, queue, now.getTime())));
  } catch (error) {
    throw connection.wrapError(error);
  }
  options.onProgress?.('ecosystem');
  const checks: DoctorCheck[] = [
    ...censusChecks(stats, probes, ping, config, now),
    queueKeysCheck(stats),
    invalidationStreamCheck(await collectListenStatus(connection, config).catch((error: Error) => error), config, now),
    tenantsCheck(stats, config),
    await ecosystemCheck({ file: options.ecosystemFile, cwd: options.cwd ?? process.cwd(), timezone: config.maintenance.timezone, commands: options.commands }),
  ];
  return finish(connection.target, now, started, checks, { method: stats.sampling.method, inspected: stats.sampling.inspected });
}

/** The report when the server cannot be reached: connectivity fails, the server checks are skipped. */
export async function doctorUnreachable(target: string, error: CachectlError, config: CachectlConfig, options: DoctorOptions = {}): Promise<DoctorResult> {
  const now = options.now ?? new Date();
  const skipped: CheckId[] = [
    'server-version',
    'eviction-policy',
    'ttl-coverage',
    'fragmentation',
    'maintenance',
    'failed-jobs',
    'stalled-jobs',
    'waiting-age',
    'events-streams',
    'queue-keys',
    'invalidation-stream',
    'tenants',
  ];
  const checks: DoctorCheck[] = [
    verdict('connectivity', 'fail', error.message, error.hint ?? 'check the server address, password and network'),
    ...skipped.map((id) => verdict(id, 'skip', 'server unreachable')),
    await ecosystemCheck({ file: options.ecosystemFile, cwd: options.cwd ?? process.cwd(), timezone: config.maintenance.timezone, commands: options.commands }),
  ];
  return finish(target, now, performance.now(), checks, null);
}

function finish(target: string, now: Date, started: number, checks: DoctorCheck[], sampling: DoctorResult['sampling']): DoctorResult {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const check of checks) counts[check.status]++;
  return {
    target,
    timestamp: now.toISOString(),
    durationMs: Math.round(performance.now() - started),
    status: counts.fail > 0 ? 'fail' : counts.warn > 0 ? 'warn' : 'pass',
    counts,
    sampling,
    checks,
  };
}
