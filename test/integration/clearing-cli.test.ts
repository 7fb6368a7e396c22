// The clearing commands in-process (captured streams) on every server kind: what they remove,
// what they print, the audit line, the safety gate, bad input, aliases and Ctrl-C.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearingFixture, countMatching, familiesFor, setKeys, type ClearingFixture } from '../helpers/clearing-fixture.js';
import { serverTargets } from '../helpers/targets.js';

const CONV = '0f8e7a10-4c1d-4a7e-9b1f-000000000042';

describe.each(serverTargets())('clearing commands on $name', (target) => {
  let fx: ClearingFixture;

  beforeEach(async () => {
    fx = await clearingFixture(target, {}, 'cli');
  });
  afterEach(async () => {
    await fx.close();
  });

  it('invalidate conversation removes the mappings in every tenant, the stale default copy included', async () => {
    const p = fx.prefix;
    const mine = ['acme', 'globex', 'default'].map((t) => `${p}tenant:${t}:mapping:conv:${CONV}`);
    const wa = ['acme', 'default'].map((t) => `${p}tenant:${t}:mapping:wa:+27821234567`);
    const others = [`${p}tenant:acme:mapping:conv:other-1`, `${p}tenant:default:mapping:conv:other-2`, `${p}tenant:acme:mapping:wa:+27829999999`];
    await setKeys(fx.client, [...mine, ...wa, ...others]);
    const result = await fx.cli(['invalidate', 'conversation', CONV, '--wa', '+27821234567', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ command: 'invalidate conversation', dryRun: false, deleted: 5, matched: 5, failed: 0, scanned: 0, interrupted: false });
    expect(summary.byTarget.map((t: { target: string; kind: string }) => [t.target, t.kind])).toEqual([
      ['convMapping(conversationId)', 'exact'],
      ['waMapping(waId)', 'exact'],
    ]);
    expect(await fx.existing([...mine, ...wa])).toEqual([]);
    expect(await fx.existing(others)).toEqual(others);
    // The audit line names labels and counts only: no conversation id, no phone number.
    const [line] = fx.audit();
    expect(line).toMatchObject({
      command: 'invalidate conversation',
      targets: ['convMapping(conversationId)', 'waMapping(waId)'],
      dryRun: false,
      result: { deleted: 5 },
    });
    const raw = JSON.stringify(line);
    expect(raw).not.toContain(CONV);
    expect(raw).not.toContain('27821234567');
  });

  it('--dry-run prints counts and a sample, deletes nothing, and is audited as a dry run', async () => {
    const p = fx.prefix;
    await setKeys(
      fx.client,
      Array.from({ length: 30 }, (_, i) => `${p}chats:device-1:chat-${i}`),
    );
    await setKeys(fx.client, [`${p}chats:device-2:chat-1`]);
    const result = await fx.cli(['invalidate', 'chatList', '--deviceId', 'device-1', '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^dry run: 30 key\(s\) would be deleted \(nothing was deleted\)/);
    expect(result.stdout).toContain(`sample (10 of 30):\n  ${p}chats:device-1:chat-`);
    expect(await countMatching(fx.connection, `${p}chats:*`)).toBe(31);
    expect(fx.audit()[0]).toMatchObject({ command: 'invalidate', dryRun: true, targets: ['chatList(deviceId)'], result: { matched: 30, deleted: 0 } });
    const real = await fx.cli(['invalidate', 'chatList', '--device-id=device-1']);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/^deleted 30 of 30 matching key\(s\)/);
    expect(await countMatching(fx.connection, `${p}chats:*`)).toBe(1);
  });

  it('clear-user: every spelling of a phone number is one user; prints an erase report', async () => {
    const p = fx.prefix;
    const seed = async () =>
      setKeys(fx.client, [
        `${p}user:state:+27821234567`,
        `${p}user:state:27821234567`,
        `${p}tenant:acme:mapping:wa:+27821234567`,
        `${p}tenant:default:mapping:wa:27821234567`,
      ]);
    const bystander = `${p}user:state:27829999999`;
    await setKeys(fx.client, [bystander]);
    for (const args of [['+27', '82', '123', '4567'], ['27821234567'], ['082 123 4567', '--country', 'ZA']]) {
      await seed();
      const result = await fx.cli(['clear-user', ...args]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('Erase report — user +27821234567 (phone; also searched as 27821234567)');
      expect(result.stdout).toMatch(/userState\s+│\s+\S+user:state:\{phone\}\s+│ exact keys\s+│\s+2 │/);
      expect(result.stdout).toMatch(/waMapping\s+│.*│ exact keys\s+│\s+2 │/);
      expect(await countMatching(fx.connection, `${p}*27821234567`)).toBe(0);
    }
    expect(await fx.existing([bystander])).toEqual([bystander]);
    await seed();
    const json = await fx.cli(['user', '+27821234567', '--json']);
    const report = JSON.parse(json.stdout);
    expect(report.user).toEqual({ input: '+27821234567', kind: 'phone', e164: '+27821234567', digits: '27821234567' });
    expect(report.erasure).toEqual([
      expect.objectContaining({ family: 'userState', kind: 'exact', keysRemoved: 2, failed: 0 }),
      expect.objectContaining({ family: 'waMapping', kind: 'exact', keysRemoved: 2, failed: 0 }),
    ]);
    expect(Date.parse(report.completedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.stringify(fx.audit())).not.toContain('27821234567');
  });

  it('clear-user: an invalid number with --country is a usage error; a non-phone value is a literal id', async () => {
    const p = fx.prefix;
    await setKeys(fx.client, [`${p}user:state:082`, `${p}user:state:customer-*`, `${p}user:state:customer-1`]);
    const bad = await fx.cli(['clear-user', '082', '--country', 'ZA']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"082" is not a valid ZA phone number/);
    const country = await fx.cli(['clear-user', '0821234567', '--country', 'XX']);
    expect(country.code).toBe(2);
    expect(country.stderr).toMatch(/Unknown country "XX"/);
    expect(await fx.existing([`${p}user:state:082`])).toHaveLength(1);
    const literal = await fx.cli(['clear-user', 'customer-*', '--json']);
    expect(literal.code).toBe(0);
    expect(JSON.parse(literal.stdout).user).toEqual({ input: 'customer-*', kind: 'id' });
    expect(await fx.existing([`${p}user:state:customer-*`, `${p}user:state:customer-1`])).toEqual([`${p}user:state:customer-1`]);
  });

  it('refuses without a terminal and without --yes (exit 4), touching nothing', async () => {
    const p = fx.prefix;
    const keys = [`${p}chats:d:1`, `${p}context:S1`, `${p}user:state:x`];
    await setKeys(fx.client, keys);
    for (const args of [
      ['clear-all'],
      ['all'],
      ['invalidate', 'pattern', `a*`],
      ['invalidate', 'pattern', '*:x'],
      ['invalidate', 'chatList'],
      ['invalidate', 'pattern', '*'],
      ['invalidate', 'pattern', '**', '--dry-run'],
    ]) {
      const result = await fx.cli(args);
      if (args.includes('--dry-run')) {
        expect(result.code, args.join(' ')).toBe(0);
        continue;
      }
      expect(result.code, args.join(' ')).toBe(4);
      expect(result.stderr).toMatch(/^error: Refusing to /);
      expect(result.stderr).toMatch(/hint: .*--yes/);
      expect(result.stdout).toBe('');
    }
    expect(await fx.existing(keys)).toEqual(keys);
    expect(fx.audit().filter((l) => l.dryRun === false)).toEqual([]);
  });

  it('bad input is exit 2 with a one-line message and a hint, and nothing is deleted', async () => {
    const p = fx.prefix;
    const keys = [`${p}tenant:acme:mapping:conv:${CONV}`, `${p}chats:d:1`, `${p}session:s1`];
    await setKeys(fx.client, keys);
    const cases: Array<[string[], RegExp]> = [
      [['invalidate', 'nope', '--x', '1'], /Unknown family "nope"[\s\S]*configured families: userState, convMapping/],
      [['invalidate', 'convMapping', '--conversation', CONV], /no placeholder "conversation"[\s\S]*valid: --tenant, --conversationId/],
      [['invalidate', 'convMapping', '--conversationId', ''], /Empty value for --conversationId/],
      [['invalidate', 'convMapping', '--conversationId'], /--conversationId needs a value/],
      [['invalidate', 'convMapping', CONV], /Unexpected argument/],
      [['invalidate', 'pattern'], /Missing glob/],
      [['invalidate', 'conversation', ''], /Empty conversation id/],
      [['invalidate', 'chatList', '--deviceId', 'd', '--limit', '1e3'], /expected a whole number, got "1e3"/],
      [['invalidate', 'chatList', '--deviceId', 'd', '--rate', '-5'], /whole number|unknown option/],
      [['clear-old', '--hours', '-5'], /positive number of hours|unknown option/],
      [['old', '--hours=abc'], /expected a positive number of hours, got "abc"/],
      [['clear-old', '--hours', '0'], /expected a positive number of hours/],
      [['clear-old', 'nope'], /Unknown family "nope"/],
      [['keys', 'convMapping', '--bogus', 'x'], /no placeholder "bogus"/],
      [['invalidate', 'chatList', '--wa', 'x'], /--wa only goes with "invalidate conversation"/],
      [['clear-all', '--force', '--yes'], /--force only goes with --backup/],
      [['clear-all', '--backup', '', '--yes'], /Empty --backup file name/],
    ];
    for (const [args, message] of cases) {
      const result = await fx.cli(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr.split('\n').filter(Boolean).length, args.join(' ')).toBeLessThanOrEqual(2);
    }
    expect(await fx.existing(keys)).toEqual(keys);
    expect(fx.audit()).toEqual([]);
  });

  it('the earlier command lines work: all, old --hours=48, user <phone>', async () => {
    const p = fx.prefix;
    await setKeys(fx.client, [`${p}chats:d:1`, `${p}context:S1:x`, `${p}user:state:27821234567`]);
    await fx.client.set(`${p}session:old`, JSON.stringify({ updatedAt: new Date(Date.now() - 72 * 3_600_000).toISOString() }));
    await fx.client.set(`${p}session:new`, JSON.stringify({ updatedAt: new Date().toISOString() }));
    const old = await fx.cli(['old', '--hours=48', 'sessions', '--json']);
    expect(old.code, old.stderr).toBe(0);
    expect(JSON.parse(old.stdout)).toMatchObject({ command: 'clear-old', deleted: 1, kept: 1 });
    expect(await fx.existing([`${p}session:old`, `${p}session:new`])).toEqual([`${p}session:new`]);
    const user = await fx.cli(['user', '27821234567']);
    expect(user.code).toBe(0);
    expect(await fx.existing([`${p}user:state:27821234567`])).toEqual([]);
    const all = await fx.cli(['all', '--yes']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^deleted 3 of 3 matching key\(s\)/);
    expect(await countMatching(fx.connection, `${p}*`)).toBe(0);
  });

  it('queue keys survive clear-all even when a family pattern reaches them', async () => {
    const p = fx.prefix;
    // A (mis)configured family whose pattern covers the queue prefix.
    const families = { ...familiesFor(p), jobs: { template: `${p}{area}:jobs:{id}` } };
    const wide = await clearingFixture(target, { families, queues: { prefixes: [`${p}bull`] } }, 'cliq');
    try {
      const queueKeys = [`${p}bull:jobs:1`, `${p}bull:jobs:2`];
      const cacheKeys = [`${p}app:jobs:1`, `${p}chats:d:1`];
      await setKeys(wide.client, [...queueKeys, ...cacheKeys]);
      const result = await runIn(wide, ['clear-all', '--yes', '--json']);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ deleted: 2, skippedQueueKeys: 2 });
      expect(result.stderr).toMatch(/2 queue key\(s\) matched and were left alone/);
      expect(await wide.existing(queueKeys)).toEqual(queueKeys);
      expect(await wide.existing(cacheKeys)).toEqual([]);
    } finally {
      await wide.close();
    }
  });

  it('keys lists (escaped), counts and respects --limit; read-only', async () => {
    const p = fx.prefix;
    await setKeys(fx.client, [...Array.from({ length: 12 }, (_, i) => `${p}context:K${i}`), Buffer.from(`${p}context:\x00bin`, 'latin1')]);
    await setKeys(fx.client, [`${p}bull:context:1`]);
    const list = await fx.cli(['keys', 'context']);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines).toHaveLength(13);
    expect(lines).toContain(`"${p}context:\\x00bin"`);
    const count = await fx.cli(['keys', 'pattern', `${p}context:K*`, '--count', '--json']);
    expect(JSON.parse(count.stdout)).toMatchObject({ count: 12 });
    const limited = await fx.cli(['keys', 'context', '--limit', '5', '--json']);
    const doc = JSON.parse(limited.stdout);
    expect(doc.keys).toHaveLength(5);
    expect(doc).toMatchObject({ count: 5, limitReached: true });
    expect(await countMatching(fx.connection, `${p}context:*`)).toBe(13);
  });

  it('Ctrl-C stops after the batch in hand: partial summary, exit 5, audit line says interrupted', async () => {
    const p = fx.prefix;
    await setKeys(
      fx.client,
      Array.from({ length: 600 }, (_, i) => `${p}context:C${i}`),
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 400);
    const result = await fx.cli(['invalidate', 'pattern', `${p}context:*`, '--yes', '--rate', '300', '--json'], { signal: controller.signal });
    expect(result.code).toBe(5);
    const summary = JSON.parse(result.stdout);
    expect(summary.interrupted).toBe(true);
    expect(summary.deleted).toBeGreaterThan(0);
    expect(summary.deleted).toBeLessThan(600);
    expect(result.stderr).toMatch(/interrupted: stopped after the batch in hand/);
    expect(await countMatching(fx.connection, `${p}context:*`)).toBe(600 - summary.deleted);
    expect(fx.audit()[0]).toMatchObject({ result: { interrupted: true, deleted: summary.deleted } });
  });
});

function runIn(fx: ClearingFixture, args: string[]) {
  return fx.cli(args);
}
