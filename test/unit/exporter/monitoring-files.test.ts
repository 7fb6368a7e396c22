// The shipped monitoring files agree with the exporter: every metric the dashboard and the alert
// rules use is a documented exporter metric, the dashboard is well formed, the systemd unit
// passes `systemd-analyze verify` (where systemd-analyze exists). The documented list itself is
// checked against a real scrape in test/integration/exporter/exporter.test.ts.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/cli.js';
import { documentedMetrics } from '../../helpers/exporter.js';
import { hasBinary } from '../../helpers/server-process.js';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

const used = (text: string) => new Set([...text.matchAll(/\bcachectl_[a-z0-9_]+/g)].map((m) => m[0]));

describe('monitoring/', () => {
  const documented = documentedMetrics();

  it('documents a good number of metrics (the parser finds the tables)', () => {
    expect(documented.size).toBeGreaterThan(60);
    expect(documented.has('cachectl_up')).toBe(true);
  });

  it('the alert rules use only documented metrics', () => {
    const exprs = read('monitoring/prometheus/cachectl-alerts.yml')
      .split('\n')
      .filter((l) => l.trim().startsWith('expr:'))
      .join('\n');
    const names = used(exprs);
    expect(names.size).toBeGreaterThan(10);
    for (const name of names) expect(documented.has(name), name).toBe(true);
  });

  it('the dashboard is well formed and its queries use only documented metrics', () => {
    const dashboard = JSON.parse(read('monitoring/grafana/cachectl-dashboard.json')) as {
      uid: string;
      panels: Array<{ id: number; type: string; gridPos: { x: number; w: number }; targets?: Array<{ expr: string }> }>;
    };
    expect(dashboard.uid).toBe('cachectl-overview');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
      if (panel.type === 'row') continue;
      expect(panel.targets?.length ?? 0, `panel ${panel.id}`).toBeGreaterThan(0);
      for (const target of panel.targets!) {
        const names = used(target.expr);
        expect(names.size, target.expr).toBeGreaterThan(0);
        for (const name of names) expect(documented.has(name), `${name} in panel ${panel.id}`).toBe(true);
      }
    }
  });

  it.skipIf(!hasBinary('systemd-analyze'))('the systemd unit passes systemd-analyze verify', () => {
    const result = spawnSync('systemd-analyze', ['verify', path.join(ROOT, 'monitoring/systemd/cachectl-exporter.service')], { encoding: 'utf8' });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/Unknown key|Unknown section/);
  });
});
