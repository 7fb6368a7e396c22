// A real Prometheus server for tests: Debian's `prometheus` binary with a temp config and storage
// dir on a free loopback port, and the HTTP API calls the tests make. `promtool` checks files.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts, hasBinary } from './server-process.js';

export interface PrometheusHandle {
  url: string;
  /** Instant query; the result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** Active alerts (pending or firing). */
  alerts(): Promise<Array<{ labels: Record<string, string>; state: string }>>;
  stop(): Promise<void>;
}

/**
 * Why Prometheus tests cannot run here, or null when they can. In CI, where the distribution
 * packages prometheus, a missing binary is an error (scripts/install-servers.sh installs it).
 */
export function prometheusMissing(): string | null {
  if (hasBinary('prometheus') && hasBinary('promtool')) return null;
  const policy = spawnSync('apt-cache', ['policy', 'prometheus'], { encoding: 'utf8' }).stdout ?? '';
  if (process.env.CI === 'true' && /Candidate: [0-9]/.test(policy)) {
    throw new Error('CI=true, prometheus is packaged here but not installed: run scripts/install-servers.sh as root');
  }
  return 'prometheus/promtool not installed (scripts/install-servers.sh installs them as root)';
}

/** Run promtool; resolves to its exit code and output. */
export function promtool(args: string[], input?: string): { code: number; out: string } {
  const result = spawnSync('promtool', args, { input, encoding: 'utf8' });
  return { code: result.status ?? -1, out: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

/** Start Prometheus scraping `targets` every second, with `ruleFiles` loaded. */
export async function startPrometheus(targets: string[], ruleFiles: string[] = []): Promise<PrometheusHandle> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-prom-'));
  const [port] = await freePorts(1);
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    `rule_files: [${ruleFiles.map((f) => JSON.stringify(f)).join(', ')}]`,
    'scrape_configs:',
    '  - job_name: cachectl',
    '    static_configs:',
    `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', () => child.kill('SIGKILL'));
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const api = async <T>(pathAndQuery: string): Promise<T> => {
    const response = await fetch(`${url}${pathAndQuery}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus API ${pathAndQuery}: ${body.error}`);
    return body.data;
  };
  return {
    url,
    query: async (expr) =>
      (await api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
    alerts: async () => (await api<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>('/api/v1/alerts')).alerts,
    stop,
  };
}
