// stats and doctor as the built binary: stdout, stderr and exit codes a cron job relies on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { parsePrometheus } from '../helpers/prom-parse.js';
import { serverTargets } from '../helpers/targets.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-spawn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stats and doctor as a process', () => {
  const [redis] = serverTargets();

  it('stats --prometheus writes only valid exposition text (whatever the shared server holds)', async () => {
    const result = await spawnCli(['stats', '--prometheus', '--redis-url', redis!.url], { cwd: dir });
    expect(result.code).toBe(0);
    const metrics = parsePrometheus(result.stdout);
    expect(metrics.get('cachectl_keys')?.samples).toHaveLength(1);
  });

  it('doctor exits 1 exactly when its report says fail', async () => {
    const result = await spawnCli(['doctor', '--json', '--redis-url', redis!.url], { cwd: dir });
    const report = JSON.parse(result.stdout) as { status: string };
    expect(result.code).toBe(report.status === 'fail' ? 1 : 0);
  });

  it('doctor against nothing prints the report and exits 1', async () => {
    const result = await spawnCli(['doctor', '--redis-url', 'redis://127.0.0.1:1', '--connect-timeout', '1s'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL {2}Connectivity and latency +.*127\.0\.0\.1:1/);
    expect(result.stdout).toMatch(/SKIP {2}Eviction policy vs content +server unreachable/);
  });
});
