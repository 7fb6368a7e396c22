// doctor's ecosystem check reads cron_restart as PM2 7 does (croner): what pm2 start refuses fails.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ecosystemCheck } from '../../src/core/doctor/checks-ecosystem.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-doctor-cron-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(cron: string): string {
  const target = path.join(dir, `${cron.replace(/\W/g, '_')}.config.cjs`);
  const app = { name: 'nightly', script: './bin/cachectl.js', args: 'maintenance', cron_restart: cron, autorestart: false };
  writeFileSync(target, `module.exports = ${JSON.stringify({ apps: [app] })};\n`);
  return target;
}

describe('doctor ecosystem check and cron_restart', () => {
  it.each(['@daily', '*/90 * * * *', '0 0 * * 1#2'])('%s fails (pm2 start refuses it)', async (cron) => {
    const check = await ecosystemCheck({ file: file(cron), cwd: dir, timezone: 'UTC' });
    expect(check.status).toBe('fail');
    expect(JSON.stringify(check)).toMatch(/invalid cron_restart/);
  });

  it.each(['0 2 * * *', '0 2 1 * 1', '30 0 2 * * *'])('%s passes', async (cron) => {
    const check = await ecosystemCheck({ file: file(cron), cwd: dir, timezone: 'UTC' });
    expect(check.status, JSON.stringify(check)).toBe('pass');
  });
});
