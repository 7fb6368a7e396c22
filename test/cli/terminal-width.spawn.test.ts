// On an 80-column terminal (a real pseudo-terminal, not a flag): stats, queues, doctor and the
// progress line of a clearing run never draw a line wider than the screen; `-o wide` is the full
// output as pipes get it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullHarness, waitFor } from '../helpers/bullmq.js';
import { spawnCli } from '../helpers/cli.js';
import { clearingFixture, setKeys, type ClearingFixture } from '../helpers/clearing-fixture.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { seedConfig, seedPlan, writeSeed } from '../helpers/stats-seed.js';
import { runOnTerminal, screenLines, widest } from '../helpers/pty.js';

const LONG_QUEUE = 'notifications-outbound-email-and-sms-delivery-with-retries';
const WIDE_QUEUE = '通知キュー';

/** Output as a comparable shape: numbers (timings, ages) and padding do not matter. */
const shape = (text: string) =>
  screenLines(text)
    .map((l) => l.replace(/\d+(\.\d+)?/g, '#').replace(/[ ─]+/g, ' '))
    .filter((l) => l.trim() !== '')
    .join('\n');

describe('at 80 columns', () => {
  let server: ServerHandle;
  let client: Redis;
  let bull: BullHarness;
  let dir: string;
  let fx: ClearingFixture;

  beforeAll(async () => {
    server = await startServer();
    client = new Redis(server.url);
    await writeSeed(client, seedPlan(1).writes);
    bull = new BullHarness({ name: 'redis', url: server.url, cluster: false }, 'bull');
    await bull.queue(LONG_QUEUE).addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'send', data: { i } })));
    await bull.queue(WIDE_QUEUE).add('send', {});
    dir = mkdtempSync(path.join(tmpdir(), 'cachectl-tty-'));
    writeFileSync(path.join(dir, 'cachectl.config.json'), JSON.stringify(seedConfig('bull')));
    fx = await clearingFixture({ url: server.url }, {}, 'tty80');
  });

  afterAll(async () => {
    await fx?.close();
    await bull?.closeAll();
    await client?.quit();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const onTerminal = (args: string[], cwd = dir) => runOnTerminal([...args, '--redis-url', server.url], { cwd });

  it('stats: every line fits, the least important columns are left out and named', async () => {
    const run = await onTerminal(['stats']);
    expect(run.code, run.output).toBe(0);
    const { width, line } = widest(run.output);
    expect(width, line).toBeLessThanOrEqual(80);
    expect(run.output).toMatch(/│ family +│ keys │/);
    expect(run.output).toContain('userState');
    expect(run.output).toMatch(/\(not shown: [^)]*oldest idle[^)]*; -o wide shows every column\)/);
  });

  it('queues: every line fits; long names are shortened in the middle, wide characters count twice', async () => {
    const run = await onTerminal(['queues']);
    expect(run.code, run.output).toBe(0);
    const { width, line } = widest(run.output);
    expect(width, line).toBeLessThanOrEqual(80);
    expect(run.output).toMatch(/│ bull:notifica[^ │]*…[^ │]*-retries +│/);
    expect(run.output).toContain(`bull:${WIDE_QUEUE}`);
    // Box lines stay aligned with wide characters in a cell: every table line is equally wide.
    const table = screenLines(run.output).filter((l) => /^[┌│├└]/.test(l));
    expect(new Set(table.map((l) => widest(l).width)).size).toBe(1);
  });

  it('queues inspect: a long failure reason is shortened, the line fits', async () => {
    const queue = bull.queue('failing');
    const reason = `upstream gateway rejected the message ${'with a very long explanation '.repeat(4)}(code 4711)`;
    const worker = bull.worker('failing', () => Promise.reject(new Error(reason)));
    await queue.add('send-a-message-with-a-long-job-name', {});
    await waitFor(async () => (await queue.getFailedCount()) === 1, 10_000, 'job failed');
    await worker.close();
    const run = await onTerminal(['queues', 'inspect', 'failing']);
    expect(run.code, run.output).toBe(0);
    const { width, line } = widest(run.output);
    expect(width, line).toBeLessThanOrEqual(80);
    expect(run.output).toMatch(/upstream gateway[^│]*…[^│]*\(code 4711\)/);
  });

  it('doctor: every check line and hint wraps within the width', async () => {
    const run = await onTerminal(['doctor', '--no-ecosystem']);
    expect([0, 1]).toContain(run.code);
    const { width, line } = widest(run.output);
    expect(width, line).toBeLessThanOrEqual(80);
    expect(run.output).toMatch(/PASS {2}Connectivity and latency/);
    expect(run.output).toMatch(/hint: /);
  });

  it('the progress line of clear-all fits, redraws in place, and shows rate and ETA', async () => {
    await setKeys(
      fx.client,
      Array.from({ length: 3000 }, (_, i) => `${fx.prefix}chats:device-with-a-long-name:${i}`),
    );
    const run = await onTerminal(['clear-all', '--yes', '--rate', '1500'], fx.dir);
    expect(run.code, run.output).toBe(0);
    const { width, line } = widest(run.output);
    expect(width, line).toBeLessThanOrEqual(80);
    const progress = run.output.split('\r\x1b[2K').filter((s) => s.startsWith('clear-all'));
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.some((p) => /[\d,]+ keys\/s · ETA \d+s/.test(p))).toBe(true);
    // Never wider than the line it redraws (a wrapped progress line leaves a copy behind).
    for (const p of progress) expect(widest(p).width).toBeLessThan(80);
  });

  it('-o wide shows every column at full length, as pipes get it', async () => {
    const wide = await onTerminal(['queues', '-o', 'wide']);
    expect(wide.code, wide.output).toBe(0);
    expect(widest(wide.output).width).toBeGreaterThan(80);
    expect(wide.output).toContain(`bull:${LONG_QUEUE}`);
    const piped = await spawnCli(['queues', '--redis-url', server.url], { cwd: dir });
    expect(piped.code).toBe(0);
    expect(shape(wide.output)).toBe(shape(piped.stdout));
    expect(piped.stdout).toMatch(
      /│ queue +│ wait │ active │ delayed │ prioritized │ waiting-children │ paused │ completed │ failed │ state +│ workers │ oldest wait │ events │/,
    );
  });

  it('-o json is --json', async () => {
    const a = await spawnCli(['ping', '-o', 'json', '--redis-url', server.url], { cwd: dir });
    const b = await spawnCli(['ping', '--json', '--redis-url', server.url], { cwd: dir });
    expect(a.code).toBe(0);
    const strip = (s: string) => ({ ...JSON.parse(s), latencyMs: 0, masters: [] });
    expect(strip(a.stdout)).toEqual(strip(b.stdout));
    expect(Object.keys(JSON.parse(a.stdout))).toEqual(Object.keys(JSON.parse(b.stdout)));
  });
});
