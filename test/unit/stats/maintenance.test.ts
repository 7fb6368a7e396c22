import { describe, expect, it } from 'vitest';
import type { MaintenanceRun } from '../../../src/core/records/runs.js';
import { judgeMaintenance } from '../../../src/core/stats/maintenance.js';

function run(startedAt: string, status: MaintenanceRun['status'] = 'ok'): MaintenanceRun {
  return {
    id: startedAt,
    startedAt,
    finishedAt: startedAt,
    status,
    hours: 24,
    removed: { families: { userState: 3 }, queues: { 'bull:q': 2 } },
    errors: status === 'failed' ? ['boom'] : [],
    host: 'h',
  };
}
const base = { schedule: '0 2 * * *', timezone: 'UTC', graceMinutes: 60 };

describe('judgeMaintenance', () => {
  it('is not overdue while the grace period of the latest scheduled run lasts', () => {
    // 02:30: the 02:00 run may still be starting; the deadline is yesterday's 02:00.
    const s = judgeMaintenance([run('2024-03-09T02:00:05Z')], { ...base, now: new Date('2024-03-10T02:30:00Z') });
    expect(s.dueSince).toBe('2024-03-09T02:00:00.000Z');
    expect(s.nextRunAt).toBe('2024-03-11T02:00:00.000Z');
    expect(s.overdue).toBe(false);
    expect(s.lastRun?.removed).toBe(5);
  });

  it('is overdue once the grace period passed without a successful run', () => {
    const s = judgeMaintenance([run('2024-03-09T02:00:05Z')], { ...base, now: new Date('2024-03-10T03:01:00Z') });
    expect(s.dueSince).toBe('2024-03-10T02:00:00.000Z');
    expect(s.overdue).toBe(true);
  });

  it('does not count a failed run as done, but finds the success before it', () => {
    const runs = [run('2024-03-10T02:00:03Z', 'failed'), run('2024-03-09T02:00:03Z')];
    const s = judgeMaintenance(runs, { ...base, now: new Date('2024-03-10T12:00:00Z') });
    expect(s.overdue).toBe(true);
    expect(s.lastRun?.status).toBe('failed');
    expect(s.lastSuccess?.startedAt).toBe('2024-03-09T02:00:03Z');
  });

  it('accepts a run that started a little before its minute (clock skew)', () => {
    const s = judgeMaintenance([run('2024-03-10T01:58:00Z')], { ...base, now: new Date('2024-03-10T12:00:00Z') });
    expect(s.overdue).toBe(false);
  });

  it('reads the schedule in the configured time zone', () => {
    const s = judgeMaintenance([], { ...base, timezone: 'Africa/Johannesburg', now: new Date('2024-03-10T12:00:00Z') });
    expect(s.nextRunAt).toBe('2024-03-11T00:00:00.000Z'); // 02:00 SAST = 00:00 UTC
    expect(s.lastRun).toBeNull();
    expect(s.overdue).toBe(false); // never ran: reported as such, not as overdue
  });

  it('reports an invalid schedule instead of throwing', () => {
    const s = judgeMaintenance([run('2024-03-10T02:00:00Z')], { ...base, schedule: '61 * * * *', now: new Date('2024-03-10T12:00:00Z') });
    expect(s.scheduleError).toMatch(/.+/);
    expect(s.nextRunAt).toBeNull();
    expect(s.overdue).toBe(false);
  });
});
