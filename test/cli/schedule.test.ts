// `cachectl schedule`: reads the ecosystem file, no server needed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-schedule-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, apps: unknown[]): string {
  const target = path.join(dir, name);
  writeFileSync(target, `module.exports = ${JSON.stringify({ apps })};\n`);
  return target;
}

describe('cachectl schedule', () => {
  it('the shipped file: both cron jobs valid, next runs in the zone, no findings, exit 0', async () => {
    const result = await runCli(['schedule', '--json', '--runs', '2', '--tz', 'Africa/Johannesburg'], { cwd: ROOT });
    expect(result.code, result.stderr).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data.timezone).toBe('Africa/Johannesburg');
    expect(data.findings).toEqual([]);
    expect(data.jobs.map((j: { app: string; cron: string; valid: boolean }) => [j.app, j.cron, j.valid])).toEqual([
      ['cache_maintenance', '0 2 * * *', true],
      ['cache_cleanup', '0 3 * * 0', true],
    ]);
    const maintenance = data.jobs[0].next.map((n: string) => new Date(n));
    expect(maintenance).toHaveLength(2);
    expect(maintenance.map((d: Date) => d.getUTCHours())).toEqual([0, 0]); // 02:00 SAST
    expect(maintenance[1].getTime() - maintenance[0].getTime()).toBe(86_400_000);
    const weekly = new Date(data.jobs[1].next[0]);
    expect(weekly.getUTCDay()).toBe(0);
    expect(weekly.getUTCHours()).toBe(1); // Sunday 03:00 SAST
  });

  it('--runs 100: the table keeps three runs a cell, the full preview follows as one line per run', async () => {
    const result = await runCli(['schedule', '--runs', '100', '--tz', 'UTC'], { cwd: ROOT });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    const tableRows = lines.filter((l) => l.startsWith('│'));
    expect(tableRows.length).toBeLessThanOrEqual(1 + 2 * 4);
    expect(result.stdout).toContain('(100 listed below)');
    for (const app of ['cache_maintenance', 'cache_cleanup']) {
      const start = lines.indexOf(lines.find((l) => l.startsWith(`next 100 runs of ${app} `))!);
      expect(start, result.stdout).toBeGreaterThan(0);
      const runs = lines.slice(start + 1, start + 101);
      expect(
        runs.every((l) => /^ {2}\w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/.test(l)),
        runs.join('\n'),
      ).toBe(true);
      expect(new Set(runs).size).toBe(100);
    }
  });

  it('a table for people', async () => {
    const result = await runCli(['schedule', '--ecosystem', path.join(ROOT, 'ecosystem.config.cjs')], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/cache_maintenance .*0 2 \* \* \* .*cachectl maintenance --log-format json .*ok/);
  });

  it('an invalid expression is a failed row and exit 1; pre_restart and restart loops are reported', async () => {
    const eco = file('bad.config.cjs', [
      { name: 'nightly', script: './bin/cachectl.js', args: 'maintenance', cron_restart: '0 2 * * 8', autorestart: false },
      { name: 'api', script: 'app.js', pre_restart: 'node scripts/clear-cache.js --pm2-restart' },
      { name: 'loop', script: './bin/cachectl.js', args: 'clear-old --yes', cron_restart: '0 3 * * 0' },
    ]);
    const result = await runCli(['schedule', '--ecosystem', eco], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/nightly .*fail: /);
    expect(result.stdout).toMatch(/fail api: PM2 ignores this key: there is no pre_restart/);
    expect(result.stdout).toMatch(/fail loop: cron_restart without autorestart: false/);
  });

  it('bad input: unknown zone, missing file', async () => {
    const zone = await runCli(['schedule', '--tz', 'Mars/Olympus'], { cwd: ROOT });
    expect(zone.code).toBe(2);
    expect(zone.stderr).toMatch(/unknown time zone "Mars\/Olympus"/);
    const missing = await runCli(['schedule'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/ecosystem file not found/);
  });
});
