import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { rewriteLegacyHookFlags } from '../../src/cli/legacy-flags.js';
import { describeRemoved, eventJson, eventText } from '../../src/core/maintenance/event-text.js';
import { exitCodeFor } from '../../src/core/maintenance/run.js';
import { maintenancePlan } from '../../src/core/maintenance/steps.js';
import { deployFamilies } from '../../src/core/maintenance/hooks.js';
import { defaultRestartApps } from '../../src/core/pm2/clean.js';
import { scheduleReport } from '../../src/core/pm2/schedule.js';
import type { Ecosystem } from '../../src/core/pm2/ecosystem.js';

describe('legacy flags', () => {
  it('rewrite --deploy / --pre-deploy / --pm2-restart to hook commands, in place', () => {
    expect(rewriteLegacyHookFlags(['--deploy'])).toEqual(['hook', 'deploy']);
    expect(rewriteLegacyHookFlags(['--redis-url', 'redis://x:1', '--pre-deploy', '--json'])).toEqual([
      '--redis-url',
      'redis://x:1',
      'hook',
      'pre-deploy',
      '--json',
    ]);
    expect(rewriteLegacyHookFlags(['--pm2-restart', '--quiet'])).toEqual(['hook', 'pm2-restart', '--quiet']);
    expect(rewriteLegacyHookFlags(['stats', '--json'])).toEqual(['stats', '--json']);
    // after "--" everything is an argument, never a flag
    expect(rewriteLegacyHookFlags(['keys', '--', '--deploy'])).toEqual(['keys', '--', '--deploy']);
  });
});

describe('maintenance pieces', () => {
  const config = resolveConfig({
    families: { a: { template: 'a:{x}', maxAgeHours: 48, clearOnDeploy: true }, b: { template: 'b:{x}' } },
  });

  it('age per family: --hours > maxAgeHours > maintenance.hours', () => {
    const seconds = (hours: number, override: boolean) =>
      Object.fromEntries(
        maintenancePlan({ config, hours, hoursOverride: override }).selections.map((s) => [
          s.family,
          s.kind === 'pattern' && s.condition?.mode === 'idle' ? s.condition.seconds / 3600 : undefined,
        ]),
      );
    expect(seconds(24, false)).toMatchObject({ a: 48, b: 24 });
    expect(seconds(6, true)).toMatchObject({ a: 6, b: 6 });
  });

  it('exit codes: ok 0, partial 5, failed 1', () => {
    expect([exitCodeFor('ok'), exitCodeFor('partial'), exitCodeFor('failed'), exitCodeFor('running')]).toEqual([0, 5, 1, 1]);
  });

  it('deploy hooks clear the clearOnDeploy families (defaults: chatList, context)', () => {
    expect(deployFamilies(config)).toEqual(['chatList', 'context', 'a']);
    expect(deployFamilies(resolveConfig({ families: { chatList: false, context: false } }))).toEqual([]);
  });

  it('log lines: JSON with time/level/event, text a person can read', () => {
    const at = new Date('2024-05-01T02:00:00Z');
    const outcome = { name: 'clean-queues', status: 'failed' as const, durationMs: 12, removed: { families: {}, queues: { 'bull:q': 3 } }, errors: ['boom'] };
    const event = { type: 'step-end' as const, runId: 'r1', step: 'clean-queues', outcome };
    expect(JSON.parse(eventJson(event, at))).toEqual({
      time: '2024-05-01T02:00:00.000Z',
      level: 'error',
      event: 'step-end',
      runId: 'r1',
      step: 'clean-queues',
      outcome,
    });
    expect(eventText(event, at)).toBe('2024-05-01T02:00:00.000Z   clean-queues: failed, removed 3 queue entries (bull:q 3) (12 ms); boom');
    expect(eventText({ type: 'lock-renewed', runId: 'r1' }, at)).toBeUndefined();
    expect(describeRemoved({ families: { a: 2, b: 0 }, queues: {} })).toBe('removed 2 key(s) (a 2)');
    expect(describeRemoved({ families: { a: 0 }, queues: {} })).toBe('nothing removed');
  });
});

describe('schedule and pm2-clean defaults', () => {
  const eco: Ecosystem = {
    file: '/x/ecosystem.config.cjs',
    apps: [
      { name: 'api', script: 'app.js' },
      { name: 'maint', script: './bin/cachectl.js', args: 'maintenance', cron_restart: '0 3 * * *', autorestart: false },
      { name: 'broken', script: './bin/cachectl.js', args: 'clear-old --yes', cron_restart: '0 25 * * *', autorestart: false },
      { name: 'off', script: 'x.js', cron_restart: 0 },
    ],
  };

  it('lists cron apps with next runs in the zone, fails bad expressions, warns on a schedule mismatch', () => {
    const report = scheduleReport(eco, { tz: 'Europe/Berlin', runs: 2, from: new Date('2024-07-01T12:00:00Z'), maintenanceSchedule: '0 2 * * *' });
    expect(report.jobs.map((j) => j.app)).toEqual(['maint', 'broken']);
    // 03:00 in Berlin summer time is 01:00 UTC
    expect(report.jobs[0]).toMatchObject({ valid: true, command: 'maintenance', next: ['2024-07-02T01:00:00.000Z', '2024-07-03T01:00:00.000Z'] });
    expect(report.jobs[1]).toMatchObject({ valid: false, next: [] });
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ app: 'broken', level: 'fail' }),
        expect.objectContaining({ app: 'maint', level: 'warn', message: expect.stringContaining('maintenance.schedule is "0 2 * * *"') }),
      ]),
    );
  });

  it('pm2-clean restarts the apps without a cron by default', () => {
    expect(defaultRestartApps(eco)).toEqual(['api', 'off']);
  });
});
