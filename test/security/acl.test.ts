// Least privilege: every command runs as the minimal ACL user docs/security.md gives its group
// (the lines are read from that file), and a missing right gives exit 7 naming the denied command
// with nothing touched. Private servers (ACL users are server-wide): a standalone Redis, a
// standalone Valkey (when installed) and a 3-master Redis cluster, where the users get the
// documented cluster additions and queues use the hash-tagged prefix `{bull}`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startCluster, startServer, type ServerBinary } from '../helpers/servers.js';
import { describeValkey } from '../helpers/targets.js';
import {
  aclBlocks,
  aclDenials,
  countKeys,
  deleteKeys,
  documentedAclUsers,
  documentedClusterAdditions,
  PHONE,
  resetAclLog,
  seedCache,
  seedQueueJobs,
  setUser,
  STALE_CONVERSATION,
  type AclAdmin,
} from './acl-fixture.js';

const PASSWORD = 'acl-test-pw';
const QUEUE = 'wa';

/** A running deployment the suite owns. */
interface Deployment {
  admin: AclAdmin;
  /** Port put in the users' URLs (a cluster: its first master; cachectl discovers the rest). */
  port: number;
  /** A new admin connection of the deployment's kind, for BullMQ. */
  connect(): Redis | Cluster;
  stop(): Promise<void>;
}

async function standalone(binary: ServerBinary): Promise<Deployment> {
  const server = await startServer({ binary });
  const client = new Redis(server.url);
  return {
    admin: { client, nodes: [client] },
    port: server.port,
    connect: () => new Redis(server.url, { maxRetriesPerRequest: null }),
    stop: async () => {
      await client.quit();
      await server.stop();
    },
  };
}

async function cluster(): Promise<Deployment> {
  const handle = await startCluster({ masters: 3, replicasPerMaster: 0 });
  const nodes = handle.nodes.map((n) => new Redis({ host: n.host, port: n.port }));
  const connect = (): Cluster => new Cluster(handle.masters, { redisOptions: { maxRetriesPerRequest: null } });
  const client = connect();
  return {
    admin: { client, nodes },
    port: handle.masters[0]!.port,
    connect,
    stop: async () => {
      await Promise.all([client.quit(), ...nodes.map((n) => n.quit())]);
      await handle.stop();
    },
  };
}

describe('docs/security.md ACL users', () => {
  it('documents one user per command group', () => {
    expect([...documentedAclUsers(PASSWORD).keys()].sort()).toEqual(
      ['cachectl-backup', 'cachectl-clear', 'cachectl-listen', 'cachectl-maintenance', 'cachectl-publish', 'cachectl-queues', 'cachectl-read'].sort(),
    );
  });

  it('documents the cluster additions for every user', () => {
    expect([...documentedClusterAdditions().keys()].sort()).toEqual([...documentedAclUsers(PASSWORD).keys()].sort());
  });

  it("README's ACL blocks are the doc's, verbatim", () => {
    const doc = aclBlocks('docs/security.md');
    expect(doc.length).toBeGreaterThan(0);
    expect(aclBlocks('README.md')).toEqual(doc);
  });
});

/** The users of docs/security.md as applied to this deployment (cluster: additions, `{bull}`). */
function usersFor(isCluster: boolean): Map<string, string[]> {
  const users = documentedAclUsers(PASSWORD);
  if (!isCluster) return users;
  const additions = documentedClusterAdditions();
  // The addition lines are applied after the full lines; one SETUSER with both is the same.
  for (const [name, rules] of users) users.set(name, [...rules, ...(additions.get(name) ?? [])]);
  return users;
}

interface Variant {
  cluster: boolean;
  start: () => Promise<Deployment>;
  /**
   * Connection set-up commands ioredis sends and ignores a refusal of (the server still logs the
   * denial): CLIENT SETINFO on Redis >= 7.2 / Valkey, CLIENT SETNAME of the cluster client's
   * topology connection. docs/security.md names them as optional rules for a quiet ACL LOG.
   */
  connectNoise: string[];
}

function aclSuite(variant: Variant): void {
  const PREFIX = variant.cluster ? '{bull}' : 'bull';
  const NOISE = variant.connectNoise.map((command) => `toplevel:${command}`);
  const users = usersFor(variant.cluster);
  let deployment: Deployment;
  let admin: AclAdmin;
  let cwd: string;

  function urlFor(user: string): string {
    return `redis://${user}:${PASSWORD}@127.0.0.1:${deployment.port}`;
  }

  function cli(user: string, args: string[], signal?: AbortSignal): Promise<CliResult> {
    return runCli([...args, '--redis-url', urlFor(user)], { cwd, ...(signal ? { signal } : {}) });
  }

  beforeAll(async () => {
    deployment = await variant.start();
    admin = deployment.admin;
    for (const [name, rules] of users) await setUser(admin, name, ['reset', ...rules]);
    cwd = await mkdtemp(path.join(tmpdir(), 'cachectl-acl-'));
    if (variant.cluster) await writeFile(path.join(cwd, 'cachectl.config.json'), JSON.stringify({ queues: { prefixes: [PREFIX] } }));
  });

  afterAll(async () => {
    await deployment?.stop();
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  /** Expect success and no ACL denial other than the probes cachectl tolerates (listed). */
  async function expectAllowed(result: CliResult, tolerated: string[] = []): Promise<void> {
    expect(result.stderr).not.toMatch(/Permission denied|NOPERM|unexpected failure/);
    expect(result.code, result.stderr).toBe(0);
    const denials = await aclDenials(admin);
    expect(denials.filter((d) => !tolerated.includes(d) && !NOISE.includes(d))).toEqual([]);
  }

  describe('every command works as its group user', () => {
    beforeAll(async () => {
      await seedCache(admin);
      await seedQueueJobs(deployment.connect, QUEUE, PREFIX, { done: 3, failing: 2, waiting: 3 });
    });
    beforeEach(async () => {
      await resetAclLog(admin);
    });

    const READ = 'cachectl-read';
    // CONFIG GET and CLIENT LIST are probed and, when denied, reported as unknown.
    const PROBES = ['toplevel:config|get', 'toplevel:client|list'];
    it.each([
      ['ping'],
      ['stats'],
      ['stats', '--exact', '--json'],
      ['stats', '--prometheus'],
      ['keys', 'userState', '--limit', '3'],
      ['keys', 'pattern', 'context:*', '--count'],
      ['queues'],
      ['queues', 'inspect', QUEUE],
      ['queues', 'export', QUEUE, '--state', 'waiting,completed,failed', '--out', 'read-export.jsonl'],
      ['listen', '--status'],
      ['invalidate', 'pattern', 'chats:*', '--dry-run'],
      ['clear-all', '--dry-run'],
      ['clear-old', '--hours', '1', '--dry-run'],
    ])(`${READ}: %s %s %s`, async (...args: string[]) => {
      const before = await countKeys(admin);
      await expectAllowed(await cli(READ, args), PROBES);
      expect(await countKeys(admin)).toBe(before);
    });

    it(`${READ}: doctor runs every check (its exit code is the health verdict)`, async () => {
      const result = await cli(READ, ['doctor', '--no-ecosystem', '--json']);
      expect(result.stderr).not.toMatch(/Permission denied|NOPERM/);
      expect([0, 1]).toContain(result.code);
      const report = JSON.parse(result.stdout) as { checks: Array<{ status: string }> };
      expect(report.checks.length).toBeGreaterThan(3);
      expect((await aclDenials(admin)).filter((d) => !PROBES.includes(d) && !NOISE.includes(d))).toEqual([]);
    });

    it.runIf(NOISE.length > 0)('the optional connection rules keep ACL LOG quiet', async () => {
      // Without them the refusal is logged (so the noise is real), with them nothing is.
      await expectAllowed(await cli(READ, ['ping']));
      expect((await aclDenials(admin)).filter((d) => NOISE.includes(d)).length).toBeGreaterThan(0);
      const quiet = [...users.get(READ)!, ...variant.connectNoise.map((command) => `+${command}`)];
      await setUser(admin, 'cachectl-read-quiet', ['reset', ...quiet]);
      await resetAclLog(admin);
      expect((await cli('cachectl-read-quiet', ['ping'])).code).toBe(0);
      expect(await aclDenials(admin)).toEqual([]);
    });

    it('stats hides CONFIG when it is denied (the probe really ran and was refused)', async () => {
      await expectAllowed(await cli(READ, ['stats', '--json']), PROBES);
    });

    const CLEAR = 'cachectl-clear';
    it.each([
      [['invalidate', 'convMapping', '--conversationId', STALE_CONVERSATION, '--yes'], `tenant:default:mapping:conv:${STALE_CONVERSATION}`],
      [['invalidate', 'pattern', 'context:*', '--yes'], 'context:*'],
      [['clear-user', PHONE, '--yes'], 'user:state:27821234567'],
      [['invalidate', 'pattern', 'tenant:acme:*', '--yes', '--backup', 'clear-capture.cbk'], 'tenant:acme:*'],
      [['hook', 'pre-deploy'], 'chats:*'],
      [['clear-all', '--yes'], 'user:state:*'],
    ] as Array<[string[], string]>)(`${CLEAR}: %s deletes %s`, async (args, gone) => {
      await seedCache(admin);
      await resetAclLog(admin);
      expect(await countKeys(admin, gone)).toBeGreaterThan(0);
      const queueKeys = await countKeys(admin, `${PREFIX}:*`);
      expect(queueKeys).toBeGreaterThan(0);
      await expectAllowed(await cli(CLEAR, args), PROBES);
      expect(await countKeys(admin, gone)).toBe(0);
      expect(await countKeys(admin, `${PREFIX}:*`)).toBe(queueKeys);
    });

    it(`${CLEAR}: clear-old (idle-time test re-run on the server) and hook deploy`, async () => {
      await seedCache(admin);
      await resetAclLog(admin);
      await expectAllowed(await cli(CLEAR, ['clear-old', '--hours', '1', '--yes']), PROBES);
      await expectAllowed(await cli(CLEAR, ['hook', 'deploy']), PROBES);
    });

    it('a clearing user without EVAL/EVALSHA still clears (the client-side fallback)', async () => {
      const rules = users.get(CLEAR)!.filter((r) => r !== '+eval' && r !== '+evalsha');
      await setUser(admin, 'cachectl-clear-noscript', ['reset', ...rules]);
      await seedCache(admin);
      await resetAclLog(admin);
      const result = await cli('cachectl-clear-noscript', ['invalidate', 'pattern', 'context:*', '--yes']);
      expect(result.code, result.stderr).toBe(0);
      expect(await countKeys(admin, 'context:*')).toBe(0);
      // The script was tried and refused: proves the fallback path ran.
      expect(await aclDenials(admin)).toContain('toplevel:evalsha');
    });

    const BACKUP = 'cachectl-backup';
    it(`${BACKUP}: backup, restore --dry-run, restore, restore --replace`, async () => {
      await seedCache(admin);
      await resetAclLog(admin);
      await expectAllowed(await cli(BACKUP, ['backup', 'userState', 'pattern', 'tenant:*', '--out', 'acl.cbk']));
      const users = await countKeys(admin, 'user:state:*');
      await deleteKeys(admin, 'user:state:*');
      expect(await countKeys(admin, 'user:state:*')).toBe(0);
      await expectAllowed(await cli(BACKUP, ['restore', 'acl.cbk', '--dry-run']));
      await expectAllowed(await cli(BACKUP, ['restore', 'acl.cbk', '--yes']));
      expect(await countKeys(admin, 'user:state:*')).toBe(users);
      await expectAllowed(await cli(BACKUP, ['restore', 'acl.cbk', '--replace', '--yes']));
    });

    it('cachectl-publish publishes and cachectl-listen applies the event', async () => {
      await admin.client.set('chats:device-9:chat-1', 'x');
      await expectAllowed(await cli('cachectl-publish', ['publish', 'whatsapp.message', 'deviceId=device-9']));
      await expectAllowed(await cli('cachectl-listen', ['listen', '--status']));
      const controller = new AbortController();
      const listening = cli('cachectl-listen', ['listen', '--log-format', 'json', '--consumer', 'acl-1'], controller.signal);
      const deadline = Date.now() + 10_000;
      while ((await admin.client.exists('chats:device-9:chat-1')) === 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      controller.abort();
      await expectAllowed(await listening);
      expect(await admin.client.exists('chats:device-9:chat-1')).toBe(0);
    });

    const QUEUES = 'cachectl-queues';
    it(`${QUEUES}: every queue action`, async () => {
      const steps = [
        ['queues'],
        ['queues', 'inspect', QUEUE],
        ['queues', 'retry', QUEUE, '--yes'],
        ['queues', 'pause', QUEUE],
        ['queues', 'resume', QUEUE],
        ['queues', 'clean', QUEUE, '--state', 'completed', '--grace', '1ms', '--yes'],
        ['queues', 'export', QUEUE, '--state', 'waiting,completed,failed', '--out', 'queues.jsonl'],
        ['queues', 'drain', QUEUE, '--yes'],
        ['queues', 'import', 'queues.jsonl', QUEUE, '--yes'],
        ['hook', 'pm2-restart'],
        ['queues', 'obliterate', QUEUE, '--yes'],
      ];
      expect(await admin.client.exists(`${PREFIX}:${QUEUE}:meta`)).toBe(1);
      // Cluster: the documented addition swaps `~bull:*` for the hash-tagged `~{bull}:*`.
      const described = (await admin.nodes[0]!.call('ACL', 'GETUSER', QUEUES)) as unknown[];
      expect(described[described.indexOf('keys') + 1]).toBe(`~${PREFIX}:*`);
      for (const args of steps) {
        await resetAclLog(admin);
        await expectAllowed(await cli(QUEUES, args), PROBES);
      }
      expect(await admin.client.exists(`${PREFIX}:${QUEUE}:meta`)).toBe(0);
    });

    it('cachectl-maintenance: maintenance and clear-all --queue', async () => {
      await seedCache(admin);
      await seedQueueJobs(deployment.connect, 'maint', PREFIX, { done: 2, failing: 1, waiting: 2 });
      await resetAclLog(admin);
      await expectAllowed(await cli('cachectl-maintenance', ['maintenance']), PROBES);
      await expectAllowed(await cli('cachectl-maintenance', ['clear-all', '--queue', '--yes']), PROBES);
      expect(await countKeys(admin, 'user:state:*')).toBe(0);
    });
  });

  describe('a missing permission: exit 7, the denied command named, nothing touched', () => {
    beforeAll(async () => {
      await seedCache(admin);
    });

    function expectDenied(result: CliResult, command: string): void {
      expect(result.code, result.stderr).toBe(7);
      const lines = result.stderr.trim().split('\n');
      const error = lines.find((l) => /^error:/.test(l));
      expect(error).toMatch(new RegExp(`Permission denied by the server's ACL .* for the '${command.replace('|', '\\|')}' command$`));
      expect(lines.some((l) => /^hint: grant '/.test(l))).toBe(true);
      expect(result.stderr).not.toContain(PASSWORD);
    }

    it.each([
      [['clear-all', '--yes'], 'unlink'],
      [['invalidate', 'pattern', 'context:*', '--yes'], 'unlink'],
      [['invalidate', 'convMapping', '--conversationId', STALE_CONVERSATION, '--yes'], 'unlink'],
      [['clear-user', PHONE, '--yes'], 'unlink'],
      // The preflight asks the ACL before anything is deleted: UNLINK is the first command denied.
      [['clear-all', '--yes', '--backup', 'denied.cbk'], 'unlink'],
      [['backup', 'userState', '--out', 'denied-backup.cbk'], 'dump'],
      [['publish', 'whatsapp.message', 'deviceId=device-1'], 'xadd'],
      [['listen'], 'xgroup|create'],
      [['maintenance'], 'unlink'],
    ] as Array<[string[], string]>)('cachectl-read: %s → denied %s', async (args, command) => {
      const before = await countKeys(admin);
      const values = await admin.client.get(`tenant:default:mapping:conv:${STALE_CONVERSATION}`);
      expect(values).not.toBeNull();
      expectDenied(await cli('cachectl-read', args), command);
      expect(await countKeys(admin)).toBe(before);
      expect(await admin.client.get(`tenant:default:mapping:conv:${STALE_CONVERSATION}`)).toBe(values);
    });

    it('a user that may only connect: stats, keys and queues name what they lack', async () => {
      const connectOnly = ['reset', 'on', `>${PASSWORD}`, 'resetchannels', '~*', '+ping', '+info'];
      // On a cluster "connect" includes the documented topology rights (the same for every user).
      if (variant.cluster) connectOnly.push(...(documentedClusterAdditions().get('cachectl-read') ?? []));
      await setUser(admin, 'cachectl-nothing', connectOnly);
      const before = await countKeys(admin);
      const cases: Array<[string[], string]> = [
        [['stats'], 'dbsize'],
        [['keys', 'userState'], 'scan'],
        [['queues'], 'scan'],
        [['queues', 'drain', QUEUE, '--dry-run'], 'exists'],
        [['clear-all', '--yes'], 'scan'],
        [['restore', 'acl.cbk', '--yes'], 'restore'],
      ];
      for (const [args, command] of cases) expectDenied(await cli('cachectl-nothing', args), command);
      expect(await countKeys(admin)).toBe(before);
    });

    it.runIf(variant.cluster)('cluster: a user without the cluster additions is told which one it lacks', async () => {
      const standaloneRules = documentedAclUsers(PASSWORD).get('cachectl-clear')!;
      const before = await countKeys(admin);
      await setUser(admin, 'cachectl-clear-standalone', ['reset', ...standaloneRules]);
      expectDenied(await cli('cachectl-clear-standalone', ['clear-all', '--yes']), 'cluster|info');
      await setUser(admin, 'cachectl-clear-standalone', ['+cluster|info']);
      expectDenied(await cli('cachectl-clear-standalone', ['clear-all', '--yes']), 'cluster|slots');
      expect(await countKeys(admin)).toBe(before);
    });
  });
}

describe('redis-server (standalone)', () => aclSuite({ cluster: false, start: () => standalone('redis-server'), connectNoise: [] }));
describeValkey('valkey-server (standalone)', () => aclSuite({ cluster: false, start: () => standalone('valkey-server'), connectNoise: ['client|setinfo'] }));
describe('redis cluster (3 masters, queues.prefixes {bull})', () => aclSuite({ cluster: true, start: cluster, connectNoise: ['client|setname'] }));
