// Small parts of the exporter: --listen parsing, the cluster-node URLs it falls back to, and the
// bounded labels of the rendering (unconfigured tenants summed, one series per check).
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseListen } from '../../../src/cli/commands/exporter.js';
import { resolveConfig } from '../../../src/config/load.js';
import { renderExporter, type ExporterState } from '../../../src/core/exporter/render.js';
import type { Snapshot } from '../../../src/core/exporter/refresh.js';
import { withAddress } from '../../../src/core/exporter/target.js';
import type { StatsResult } from '../../../src/core/stats/types.js';
import { parsePrometheus, promValue } from '../../helpers/prom-parse.js';

describe('--listen', () => {
  it('takes host:port and [v6]:port', () => {
    expect(parseListen('127.0.0.1:9479')).toEqual({ host: '127.0.0.1', port: 9479 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen('localhost:80')).toEqual({ host: 'localhost', port: 80 });
  });
  it.each([':9479', '9479', '127.0.0.1', '127.0.0.1:99999', '::1:9479', 'a b:1', '127.0.0.1:x'])('refuses %j', (value) => {
    expect(() => parseListen(value)).toThrow(InvalidArgumentError);
  });
});

describe('withAddress', () => {
  it('keeps scheme, credentials and db, replaces host and port', () => {
    expect(withAddress('redis://u:p%40ss@10.0.0.1:7000/0', '10.0.0.2:7001')).toBe('redis://u:p%40ss@10.0.0.2:7001/0');
    expect(withAddress('rediss://h:7000', '::1:7002')).toBe('rediss://[::1]:7002');
    expect(withAddress(undefined, '127.0.0.1:7003')).toBe('redis://127.0.0.1:7003');
  });
});

describe('renderExporter', () => {
  const config = resolveConfig({ tenants: ['acme'] });
  const stats = {
    sampling: { method: 'sample', requested: 10, inspected: 10, everyKeyInspected: false },
    families: [],
    queueKeys: { keys: 0, share: 0 },
    unknown: { keys: 0, share: 0, depth: 1, namespaces: [], otherKeys: 0, otherNamespaces: 0 },
    tenants: {
      tenants: [
        { tenant: 'acme', keys: 5 },
        { tenant: 'x1', keys: 2 },
        { tenant: 'x2', keys: 3 },
      ],
      otherKeys: 4,
    },
  } as unknown as StatsResult;
  const snapshot: Snapshot = { at: new Date(1000), durationMs: 1, serverMs: 1, longestStepMs: 1, stats, queues: [], checks: [], status: 'pass' };
  const state: ExporterState = {
    mode: 'standalone',
    cheap: null,
    knownMasters: ['127.0.0.1:1'],
    snapshot,
    scrapeMs: 1,
    refreshes: { ok: 1, failed: 0 },
    connections: { opened: 1, failed: 2 },
    queuesNotExported: 0,
    now: new Date(3000),
  };

  it('sums unconfigured tenants into _other and lists every configured one', () => {
    const m = parsePrometheus(renderExporter(state, config));
    expect(m.get('cachectl_tenant_keys')!.samples.map((s) => [s.labels.tenant, s.value])).toEqual([
      ['default', 0],
      ['acme', 5],
      ['_other', 2 + 3 + 4],
    ]);
  });

  it('without a reading the target is down, known masters are 0, the last census stays with its age', () => {
    const m = parsePrometheus(renderExporter(state, config));
    expect(promValue(m, 'cachectl_up')).toBe(0);
    expect(promValue(m, 'cachectl_master_up', { master: '127.0.0.1:1' })).toBe(0);
    expect(promValue(m, 'cachectl_exporter_refresh_age_seconds')).toBe(2);
    expect(promValue(m, 'cachectl_exporter_connections_total', { result: 'failed' })).toBe(2);
    expect(m.has('cachectl_server_info')).toBe(false);
  });
});
