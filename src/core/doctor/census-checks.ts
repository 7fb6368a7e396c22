/**
 * The doctor checks judged from one census (ping, stats, queue probes): the server, key and queue
 * checks that `doctor` reports first and the exporter repeats on every refresh.
 */
import type { CachectlConfig } from '../../config/load.js';
import type { collectPing } from '../ping.js';
import type { StatsResult } from '../stats/types.js';
import { maintenanceCheck, ttlCoverageCheck } from './checks-keys.js';
import { eventsStreamCheck, failedJobsCheck, stalledJobsCheck, waitingAgeCheck } from './checks-queues.js';
import { connectivityCheck, evictionCheck, fragmentationCheck, versionCheck } from './checks-server.js';
import type { QueueProbe } from './queue-probes.js';
import type { DoctorCheck } from './types.js';

export function censusChecks(
  stats: StatsResult,
  probes: QueueProbe[],
  ping: Awaited<ReturnType<typeof collectPing>>,
  config: CachectlConfig,
  now: Date,
): DoctorCheck[] {
  return [
    connectivityCheck(ping, config),
    versionCheck(stats),
    evictionCheck(stats),
    ttlCoverageCheck(stats, config),
    fragmentationCheck(stats, config),
    maintenanceCheck(stats, now),
    failedJobsCheck(probes, config),
    stalledJobsCheck(probes),
    waitingAgeCheck(probes, config),
    eventsStreamCheck(probes, config),
  ];
}
