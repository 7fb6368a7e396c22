// `schedule` against a real PM2 daemon (temporary PM2_HOME): an expression is flagged exactly when
// `pm2 start` refuses it, and the next-run preview is the one croner (the library PM2's daemon
// fires cron_restart with) computes. And the shipped ecosystem file starts from any folder.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { eventually, pm2Cli, processesOf } from '../helpers/unattended.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-schedule-pm2-'));
const home = path.join(dir, 'pm2-home');
const script = path.join(dir, 'once.js');
writeFileSync(script, 'process.exit(0);\n');

// The croner PM2 itself loads (resolved from pm2's folder, as its daemon does).
const pm2Require = createRequire(path.join(ROOT, 'node_modules/pm2/package.json'));
type Job = { enumerate(n: number, from?: Date): Date[] };
const pm2Croner = pm2Require('croner') as (pattern: string, options?: { timezone?: string }) => Job;

afterAll(async () => {
  try {
    if (existsSync(path.join(home, 'pm2.pid'))) pm2Cli(home, ['kill'], dir);
    await eventually(() => expect(processesOf(dir)).toEqual([]), 15_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

function ecosystem(name: string, cron: string): string {
  const file = path.join(dir, `${name}.config.cjs`);
  const app = { name, script, cron_restart: cron, autorestart: false };
  writeFileSync(file, `module.exports = ${JSON.stringify({ apps: [app] })};\n`);
  return file;
}

/** Does `pm2 start` accept the file? Judged by the daemon's process list, then cleaned up. */
function pm2Starts(name: string, file: string): boolean {
  pm2Cli(home, ['start', file], dir);
  const list = JSON.parse(pm2Cli(home, ['jlist'], dir).out.trim().split('\n').pop() ?? '[]') as Array<{ name: string }>;
  pm2Cli(home, ['delete', 'all'], dir);
  return list.some((p) => p.name === name);
}

async function scheduleValid(file: string): Promise<boolean> {
  const result = await runCli(['schedule', '--json', '--ecosystem', file, '--tz', 'UTC'], { cwd: dir });
  const job = JSON.parse(result.stdout).jobs[0] as { valid: boolean };
  expect(result.code, result.stdout).toBe(job.valid ? 0 : 1);
  return job.valid;
}

describe('schedule agrees with a real PM2 daemon', () => {
  it('flags @daily and */90 exactly when pm2 start refuses them', async () => {
    const cases = [
      ['nightly_nick', '@daily'],
      ['every_90', '*/90 * * * *'],
      ['second_monday', '0 0 * * 1#2'],
      ['nightly', '0 2 * * *'],
      ['first_and_monday', '0 2 1 * 1'],
      ['with_seconds', '30 0 2 * * *'],
    ] as const;
    const seen: Record<string, { pm2: boolean; schedule: boolean }> = {};
    for (const [name, cron] of cases) {
      const file = ecosystem(name, cron);
      seen[cron] = { pm2: pm2Starts(name, file), schedule: await scheduleValid(file) };
    }
    // both sides come from the daemon and the command; the expected values keep the test honest
    for (const [cron, both] of Object.entries(seen)) expect(both.schedule, cron).toBe(both.pm2);
    expect(seen['@daily']!.pm2).toBe(false);
    expect(seen['*/90 * * * *']!.pm2).toBe(false);
    expect(seen['0 2 * * *']!.pm2).toBe(true);
  }, 120_000);

  it("previews the runs croner computes: day of month AND day of week, '?' as today's value", async () => {
    const expressions = ['0 2 1 * 1', '0 0 ? * *', '15 3 * * 7', '0 0 L * *'];
    const file = path.join(dir, 'preview.config.cjs');
    const apps = expressions.map((cron, i) => ({ name: `job${i}`, script, cron_restart: cron, autorestart: false }));
    writeFileSync(file, `module.exports = ${JSON.stringify({ apps })};\n`);
    const tz = 'Africa/Johannesburg';
    const before = new Date();
    const result = await runCli(['schedule', '--json', '--runs', '4', '--tz', tz, '--ecosystem', file], { cwd: dir });
    const jobs = JSON.parse(result.stdout).jobs as Array<{ cron: string; next: string[]; note?: string }>;
    expect(jobs.map((j) => j.cron)).toEqual(expressions);
    for (const job of jobs) {
      const expected = pm2Croner(job.cron, { timezone: tz })
        .enumerate(4, before)
        .map((d) => d.toISOString());
      expect(job.next, job.cron).toEqual(expected);
      expect(job.next, job.cron).toHaveLength(4);
    }
    // 0 2 1 * 1: the 1st of a month that is a Monday (croner ANDs the two day fields)
    for (const n of jobs[0]!.next) {
      const local = new Date(new Date(n).getTime() + 2 * 3_600_000);
      expect([local.getUTCDate(), local.getUTCDay(), local.getUTCHours()]).toEqual([1, 1, 2]);
    }
    expect(jobs[1]!.note).toMatch(/"\?" takes the current value/);
  });
});

describe('the shipped ecosystem file under pm2 start', () => {
  it('starts from a folder other than the checkout (scripts resolve next to the file)', async () => {
    const elsewhere = mkdtempSync(path.join(dir, 'elsewhere-'));
    const started = pm2Cli(home, ['start', path.join(ROOT, 'ecosystem.config.cjs'), '--only', 'whatsapp_api'], elsewhere);
    expect(started.code, started.out).toBe(0);
    await eventually(() => {
      const list = JSON.parse(pm2Cli(home, ['jlist'], elsewhere).out.trim().split('\n').pop() ?? '[]') as Array<{
        name: string;
        pm2_env: { status: string; pm_exec_path: string };
      }>;
      const app = list.find((p) => p.name === 'whatsapp_api');
      expect(app?.pm2_env).toMatchObject({ status: 'online', pm_exec_path: path.join(ROOT, 'examples/app.js') });
    }, 20_000);
    pm2Cli(home, ['delete', 'all'], elsewhere);
  }, 60_000);
});
