// Start-up cost of the whole cachectl process, against Node's own: paired, interleaved rounds of
// `node -e 0`, `cachectl --version`, `--help`, `ping` (a throwaway local redis-server) and, for
// context, a completion request (one TAB) and `redis-cli ping`. Prints medians and ratios to
// `node -e 0` beside the targets.
//   npm run bench:startup -- [--rounds 15]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startThrowawayServer } from '../scripts/lib/throwaway-server.mjs';
import { numberFlag } from './lib/args.mjs';

const ROUNDS = numberFlag('rounds', 15);
if (ROUNDS < 10) {
  console.error('--rounds needs at least 10 (paired medians)');
  process.exit(2);
}
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/cachectl.js');
const server = await startThrowawayServer();
// No config file anywhere on the lookup path (the working folder, XDG, the system file): the
// defaults-only path is what is measured, whatever this machine has in ~/.config or /etc.
const sandbox = mkdtempSync(path.join(tmpdir(), 'cachectl-bench-startup-'));
const env = {
  ...process.env,
  NO_COLOR: '1',
  REDIS_URL: server.url,
  XDG_CONFIG_HOME: path.join(sandbox, 'config'),
  XDG_STATE_HOME: path.join(sandbox, 'state'),
  CACHECTL_SYSTEM_CONFIG: path.join(sandbox, 'etc-config.json'),
};
delete env.CACHECTL_CONFIG;
delete env.CACHECTL_CONTEXT;
const hasRedisCli = spawnSync('sh', ['-c', 'command -v redis-cli']).status === 0;

const RUNS = [
  { id: 'node', label: 'node -e 0', argv: [process.execPath, '-e', '0'] },
  { id: 'version', label: 'cachectl --version', argv: [process.execPath, BIN, '--version'], target: 1.5 },
  { id: 'help', label: 'cachectl --help', argv: [process.execPath, BIN, '--help'], target: 1.5 },
  { id: 'ping', label: 'cachectl ping', argv: [process.execPath, BIN, 'ping'], target: 2.5 },
  { id: 'complete', label: 'completion (one TAB, context)', argv: [process.execPath, BIN, 'completion', '__complete', '--', 'clear-old', '--'] },
  ...(hasRedisCli ? [{ id: 'redis-cli', label: 'redis-cli ping (context)', argv: ['redis-cli', '-p', String(server.port), 'ping'] }] : []),
];

/** Wall time of one run, in seconds; a failed run stops the benchmark. */
function timeRun({ label, argv }) {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    // Run from a folder without a cachectl.config.json: the no-config path is what is measured.
    const child = spawn(argv[0], argv.slice(1), { cwd: sandbox, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${label} exited ${code}: ${stderr.trim()}`));
      else resolve((performance.now() - start) / 1000);
    });
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
};

try {
  for (const run of RUNS) await timeRun(run); // warm the file cache once
  const times = Object.fromEntries(RUNS.map((r) => [r.id, []]));
  const ratios = Object.fromEntries(RUNS.map((r) => [r.id, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Interleaved, order rotated each round: load on the machine hits every command alike.
    const order = RUNS.map((_, i) => RUNS[(i + round) % RUNS.length]);
    const got = {};
    for (const run of order) got[run.id] = await timeRun(run);
    for (const run of RUNS) {
      times[run.id].push(got[run.id]);
      ratios[run.id].push(got[run.id] / got.node);
    }
  }
  const rows = RUNS.map((run) => {
    const ratio = median(ratios[run.id]);
    const check = run.target === undefined ? '' : `≤ ${run.target}× ${ratio <= run.target ? 'ok' : 'MISSED'}`;
    return [run.label, `${median(times[run.id]).toFixed(3)} s`, `${Math.min(...times[run.id]).toFixed(3)} s`, `${ratio.toFixed(2)}×`, check];
  });
  const head = ['command', 'median', 'best', 'vs node -e 0 (paired median)', 'target'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(
    `start-up, ${ROUNDS} interleaved rounds, ${process.version}, load average ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(line(head));
  for (const row of rows) console.log(line(row));
} finally {
  await server.stop();
  rmSync(sandbox, { recursive: true, force: true });
}
