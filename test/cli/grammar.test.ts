// One grammar for flags, on a real server: durations with units, BullMQ's state names (and the
// earlier spellings), global options in every command's help, defaults with units, and
// `--log-format json` giving nothing but JSON lines without a terminal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullHarness } from '../helpers/bullmq.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { clearingFixture, setKeys, type ClearingFixture } from '../helpers/clearing-fixture.js';
import { serverTargets } from '../helpers/targets.js';

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('flags', () => {
  let fx: ClearingFixture;
  let bull: BullHarness;
  let queue: string;

  beforeAll(async () => {
    fx = await clearingFixture(serverTargets()[0]!, {}, 'grammar');
    bull = new BullHarness(serverTargets()[0]!, `${fx.prefix}bull`);
    queue = `grammar-${Date.now()}`;
    const q = bull.queue(queue);
    await q.add('plain', { i: 1 });
    await q.add('urgent', { i: 2 }, { priority: 5 });
    await q.add('late', { i: 3 }, { delay: 3_600_000 });
  });
  afterAll(async () => {
    await bull?.closeAll();
    await fx?.close();
  });

  it('--hours takes a unit (24h, 1d) as well as a bare number of hours', async () => {
    await setKeys(fx.client, [`${fx.prefix}user:state:+27820000001`]);
    const runs = await Promise.all(['24', '24h', '1d', '1440m'].map((h) => fx.cli(['clear-old', 'userState', '--hours', h, '--dry-run', '--json'])));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    // The same threshold, whatever the spelling: the key is minutes old, so nothing matches.
    expect(runs.map((r) => (JSON.parse(r.stdout) as { matched: number }).matched)).toEqual([0, 0, 0, 0]);
    const maintenance = await fx.cli(['maintenance', '--hours', '2d', '--dry-run', '--json']);
    expect(maintenance.code, maintenance.stderr).toBe(0);
  });

  it('--connect-timeout takes units; a bare number is refused (5 ms or 5 s?) with exit 2', async () => {
    const ok = await fx.cli(['--connect-timeout', '5s', 'ping', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const bare = await fx.cli(['--connect-timeout', '5', 'ping']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/"5" has no unit: write 5s, 5ms/);
    expect(bare.stdout).toBe('');
  });

  it('listen --stop-timeout 20m is accepted; its default is shown with a unit', async () => {
    const status = await fx.cli(['listen', '--stop-timeout', '20m', '--status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const help = await runCli(['listen', '--help']);
    expect(help.stdout).toMatch(/--stop-timeout <duration>[\s\S]*\(default: 1200ms\)/);
    expect(help.stdout).not.toMatch(/default: 1200\)/);
    const exporter = await runCli(['exporter', '--help']);
    expect(exporter.stdout).toMatch(/\(default: 1m\)/);
    expect(exporter.stdout).not.toMatch(/default: 60000\)/);
  });

  it('queues clean --grace 24h and --state prioritized; the old spelling prio; a bare --grace warns', async () => {
    const base = ['queues', 'clean', queue, '--prefix', `${fx.prefix}bull`, '--dry-run', '--json'];
    const canonical = await fx.cli([...base, '--state', 'prioritized', '--grace', '24h']);
    expect(canonical.code, canonical.stderr).toBe(0);
    expect(JSON.parse(canonical.stdout)).toMatchObject({ state: 'prioritized', graceMs: 86_400_000 });
    const alias = await fx.cli([...base, '--state', 'prio', '--grace', '0']);
    expect(alias.code, alias.stderr).toBe(0);
    expect(JSON.parse(alias.stdout)).toMatchObject({ state: 'prioritized', total: 1 });
    const bare = await fx.cli([...base, '--state', 'wait', '--grace', '24']);
    expect(bare.code, bare.stderr).toBe(0);
    expect(JSON.parse(bare.stdout)).toMatchObject({ state: 'wait', graceMs: 86_400_000 });
    expect(bare.stderr).toMatch(/--grace 24: a bare number is read as hours; write 24h/);
  });

  it('queues export --state waiting-children,prio,waiting: names and aliases', async () => {
    const out = await fx.cli(['queues', 'export', queue, '--prefix', `${fx.prefix}bull`, '--state', 'waiting-children,prio,waiting', '--out', '-']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonLines(out.stdout).map((job) => job.name)).toEqual(expect.arrayContaining(['plain', 'urgent']));
  });

  it('JSON counts use the BullMQ names, with the earlier names kept; tables too', async () => {
    const json = await fx.cli(['queues', 'inspect', queue, '--prefix', `${fx.prefix}bull`, '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).counts).toMatchObject({ wait: 1, prioritized: 1, delayed: 1, 'waiting-children': 0, waiting: 1, waitingChildren: 0 });
    const table = await fx.cli(['queues', 'inspect', queue, '--prefix', `${fx.prefix}bull`]);
    expect(table.stdout).toMatch(/wait\s*│\s*active\s*│\s*delayed\s*│\s*prioritized\s*│\s*waiting-children/);
  });
});

/** Every command and subcommand, from the program's own list. */
async function commandPaths(): Promise<string[][]> {
  const commandsOf = (help: string) => {
    const section = help.split(/^Commands:$/m)[1]?.split(/^\S/m)[0] ?? '';
    return [...section.matchAll(/^ {2}([a-z][a-z0-9-]*)\b/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
  };
  const paths: string[][] = [];
  for (const name of commandsOf((await runCli(['--help'])).stdout)) {
    paths.push([name]);
    for (const sub of commandsOf((await runCli([name, '--help'])).stdout)) paths.push([name, sub]);
  }
  return paths;
}

describe('help', () => {
  it('every command and subcommand lists --json and the global options', async () => {
    const paths = await commandPaths();
    expect(paths.length).toBeGreaterThan(25);
    expect(paths).toContainEqual(['queues', 'clean']);
    expect(paths).toContainEqual(['ttl', 'apply']);
    for (const path of paths) {
      const help = await runCli([...path, '--help']);
      const where = path.join(' ');
      expect(help.code, where).toBe(0);
      expect(help.stdout, where).toMatch(/^Global Options:$/m);
      for (const flag of ['--json', '--redis-url <url>', '--config <file>', '--connect-timeout <duration>', '--quiet', '--no-color']) {
        expect(help.stdout, `${where} ${flag}`).toContain(flag);
      }
    }
  });
});

/** The commands that run unattended (docs/flags.md lists the same). */
const UNATTENDED = [
  ['clear-all'],
  ['clear-old'],
  ['clear-user'],
  ['invalidate'],
  ['ttl', 'apply'],
  ['backup'],
  ['restore'],
  ['queues', 'clean'],
  ['queues', 'retry'],
  ['queues', 'pause'],
  ['queues', 'resume'],
  ['queues', 'drain'],
  ['queues', 'obliterate'],
  ['queues', 'import'],
  ['hook'],
  ['pm2-clean'],
  ['publish'],
  ['doctor'],
  ['maintenance'],
  ['listen'],
  ['exporter'],
];

describe('--log-format json without a terminal', () => {
  it('every command that runs unattended takes it', async () => {
    for (const path of UNATTENDED) {
      const help = await runCli([...path, '--help']);
      expect(help.stdout, path.join(' ')).toMatch(/--log-format <format>[\s\S]*choices: "text", "json"/);
    }
  });

  let fx: ClearingFixture;
  beforeAll(async () => {
    fx = await clearingFixture(serverTargets()[0]!, {}, 'logjson');
  });
  afterAll(async () => {
    await fx?.close();
  });
  const spawn = (args: string[]) => spawnCli([...args, '--redis-url', serverTargets()[0]!.url], { cwd: fx.dir });

  it('clear-old prints only JSON lines: the result, warnings, a refusal, a usage error', async () => {
    await setKeys(fx.client, [`${fx.prefix}user:state:+27820000002`, `${fx.prefix}context:S\x7f\u0085`]);
    // The server's idle clock counts whole seconds: let the keys be idle past --hours 0.0001 (0.36 s).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const runs = [
      await spawn(['clear-old', '--hours', '0.0001', '--yes', '--log-format', 'json']),
      await spawn(['--tenant', 'acme', 'clear-old', '--hours', '0.0001', '--dry-run', '--log-format', 'json']),
      await spawn(['clear-old', '--hours', 'abc', '--log-format', 'json']),
      await spawn(['clear-all', '--log-format', 'json']),
    ];
    for (const run of runs) {
      for (const text of [run.stdout, run.stderr]) {
        expect(text, 'no box drawing, no colour').not.toMatch(/[│┌└─]|\x1b\[/);
        for (const record of jsonLines(text)) expect(record).toMatchObject({ time: expect.any(String), level: expect.stringMatching(/^(info|warn|error)$/) });
      }
    }
    const [done, tenant, usage, refused] = runs;
    expect(done!.code, done!.stderr).toBe(0);
    expect(jsonLines(done!.stdout)).toContainEqual(
      expect.objectContaining({ event: 'result', command: 'clear-old', result: expect.objectContaining({ deleted: 2 }) }),
    );
    expect(tenant!.code, tenant!.stderr).toBe(0);
    expect(jsonLines(tenant!.stdout).some((r) => String(r.msg).includes('restricted to tenant acme'))).toBe(true);
    expect(usage!.code).toBe(2);
    expect(jsonLines(usage!.stderr)[0]).toMatchObject({ level: 'error', code: 'CACHECTL_USAGE', exitCode: 2 });
    expect(refused!.code).toBe(4);
    expect(jsonLines(refused!.stderr)[0]).toMatchObject({ level: 'error', exitCode: 4 });
  });

  it('hook, clear-user, invalidate, queues clean and doctor: JSON lines only, the result included', async () => {
    await setKeys(fx.client, [`${fx.prefix}context:S1`, `${fx.prefix}user:state:+27820000003`]);
    const runs = [
      await spawn(['hook', 'deploy', '--dry-run', '--log-format', 'json']),
      await spawn(['clear-user', '+27820000003', '--dry-run', '--log-format', 'json']),
      await spawn(['invalidate', 'pattern', `${fx.prefix}context:*`, '--dry-run', '--log-format', 'json']),
      await spawn(['queues', 'clean', '--all', '--state', 'completed', '--grace', '1h', '--dry-run', '--log-format', 'json']),
      await spawn(['doctor', '--log-format', 'json']),
    ];
    for (const run of runs) {
      expect(run.stdout + run.stderr).not.toMatch(/[│┌└─]|\x1b\[/);
      const records = [...jsonLines(run.stdout), ...jsonLines(run.stderr)];
      expect(
        records.filter((r) => r.event === 'result'),
        run.stderr,
      ).toHaveLength(1);
    }
  });
});
