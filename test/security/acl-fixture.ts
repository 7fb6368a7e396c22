// Shared by the security tests: the ACL SETUSER lines of docs/security.md (so the documented
// lines are the tested ones), a small realistic keyspace, key counting and ACL LOG reading, for a
// standalone server (one node) or a cluster (ACL users, ACL LOG and SCAN are per node).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { type Cluster, Redis } from 'ioredis';
import { ROOT } from '../helpers/cli.js';

/**
 * Admin access to a test deployment: `client` for key commands (a `Cluster` routes by slot) and
 * one client per node for per-node commands. Every node is a master in these tests.
 */
export interface AclAdmin {
  client: Redis | Cluster;
  nodes: Redis[];
}

/** A standalone admin connection is its own only node. */
function asAdmin(admin: Redis | AclAdmin): AclAdmin {
  return admin instanceof Redis ? { client: admin, nodes: [admin] } : admin;
}

function securityDoc(): string {
  return readFileSync(path.join(ROOT, 'docs/security.md'), 'utf8');
}

/** `ACL SETUSER <user> <rules>` lines of `text`, split into rules, `>CHANGE-ME` replaced. */
function setUserLines(text: string, password: string): Array<[string, string[]]> {
  const lines: Array<[string, string[]]> = [];
  for (const line of text.split('\n')) {
    const match = /^ACL SETUSER (cachectl-[a-z-]+) (.+)$/.exec(line.trim());
    if (match) lines.push([match[1]!, match[2]!.split(/\s+/).map((rule) => (rule === '>CHANGE-ME' ? `>${password}` : rule))]);
  }
  return lines;
}

/**
 * `{ user: rules[] }` from the full definitions of docs/security.md (the lines that start with
 * `reset`), password replaced.
 */
export function documentedAclUsers(password: string): Map<string, string[]> {
  return new Map(setUserLines(securityDoc(), password).filter(([, rules]) => rules[0] === 'reset'));
}

/** `{ user: rules[] }` of the cluster additions in docs/security.md (lines without `reset`). */
export function documentedClusterAdditions(): Map<string, string[]> {
  return new Map(setUserLines(securityDoc(), 'unused').filter(([, rules]) => rules[0] !== 'reset'));
}

/** The ```text blocks of a markdown file that contain `ACL SETUSER` lines. */
export function aclBlocks(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((block) => block.includes('ACL SETUSER'));
}

/** Apply `ACL SETUSER name rules…` as the admin, on every node. */
export async function setUser(admin: Redis | AclAdmin, name: string, rules: string[]): Promise<void> {
  await Promise.all(asAdmin(admin).nodes.map((node) => node.call('ACL', 'SETUSER', name, ...rules)));
}

export const STALE_CONVERSATION = 'conv-0001';
export const PHONE = '+27821234567';

/**
 * Cache keys of every default family (some without TTL), plus the stale tenant:default copy.
 * Sent as concurrent single commands, not a pipeline: a cluster pipeline must stay in one slot.
 */
export async function seedCache(admin: Redis | AclAdmin): Promise<void> {
  const client = asAdmin(admin).client;
  const writes: Array<Promise<unknown>> = [];
  for (let i = 0; i < 20; i++) {
    const phone = `2782${String(1234567 + i)}`;
    const state = JSON.stringify({ step: 'menu', updatedAt: new Date().toISOString() });
    if (i % 5 === 0) writes.push(client.set(`user:state:${phone}`, state));
    else writes.push(client.set(`user:state:${phone}`, state, 'EX', 86400));
    const conv = `conv-${String(i).padStart(4, '0')}`;
    writes.push(client.set(`tenant:acme:mapping:conv:${conv}`, JSON.stringify({ conv }), 'EX', 3600));
    writes.push(client.set(`tenant:acme:mapping:wa:+${phone}`, JSON.stringify({ conv }), 'EX', 3600));
    writes.push(client.set(`chats:device-${i % 3}:chat-${i}`, 'x', 'EX', 300));
    writes.push(client.hset(`context:STORY-${i}`, 'summary', 'text'));
  }
  writes.push(client.set(`tenant:default:mapping:conv:${STALE_CONVERSATION}`, JSON.stringify({ communication_id: null })));
  await Promise.all(writes);
}

/** Keys matching `match` on one node (SCAN; a key it returns twice is listed once). */
async function nodeKeys(node: Redis, match: string): Promise<string[]> {
  let cursor = '0';
  const found = new Set<string>();
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    for (const key of keys) found.add(key);
    cursor = next;
  } while (cursor !== '0');
  return [...found];
}

/** Keys matching `match` (SCAN of every node, as the admin). */
export async function countKeys(admin: Redis | AclAdmin, match = '*'): Promise<number> {
  const counts = await Promise.all(asAdmin(admin).nodes.map(async (node) => (await nodeKeys(node, match)).length));
  return counts.reduce((a, b) => a + b, 0);
}

/** Delete the keys matching `match`, one UNLINK per key (keys of a cluster live in many slots). */
export async function deleteKeys(admin: Redis | AclAdmin, match: string): Promise<void> {
  const { client, nodes } = asAdmin(admin);
  const keys = (await Promise.all(nodes.map((node) => nodeKeys(node, match)))).flat();
  await Promise.all(keys.map((key) => client.unlink(key)));
}

/** Forget the denials recorded so far (every node). */
export async function resetAclLog(admin: Redis | AclAdmin): Promise<void> {
  await Promise.all(asAdmin(admin).nodes.map((node) => node.call('ACL', 'LOG', 'RESET')));
}

/** Denials the server recorded since the last `ACL LOG RESET` (every node), as `context:object`. */
export async function aclDenials(admin: Redis | AclAdmin): Promise<string[]> {
  const perNode = await Promise.all(
    asAdmin(admin).nodes.map(async (node) => {
      const entries = (await node.call('ACL', 'LOG', '100')) as unknown[][];
      return entries.map((entry) => {
        const record: Record<string, string> = {};
        for (let i = 0; i + 1 < entry.length; i += 2) record[String(entry[i])] = String(entry[i + 1]);
        return `${record.context}:${record.object}`;
      });
    }),
  );
  return perNode.flat();
}

/**
 * A BullMQ queue `<prefix>:<name>` with `done` completed and `failing` failed jobs (processed by
 * a real worker) and `waiting` jobs nobody processes. `connect` opens an admin connection of the
 * deployment's kind (BullMQ needs `maxRetriesPerRequest: null` for its worker).
 */
export async function seedQueueJobs(
  connect: () => Redis | Cluster,
  name: string,
  prefix: string,
  counts: { done: number; failing: number; waiting: number },
): Promise<void> {
  const connection = connect();
  const workerConnection = connect();
  const queue = new Queue(name, { connection, prefix });
  const total = counts.done + counts.failing;
  let settledCount = 0;
  let release: () => void = () => {};
  const settled = new Promise<void>((resolve) => (release = resolve));
  const worker = new Worker(
    name,
    async (job) => {
      if (job.data.fail) throw new Error('WhatsApp API returned 470');
      return { delivered: true };
    },
    { connection: workerConnection, prefix, concurrency: 8 },
  );
  const tick = (): void => {
    if (++settledCount >= total) release();
  };
  worker.on('completed', tick);
  worker.on('failed', tick);
  await queue.addBulk(Array.from({ length: total }, (_, i) => ({ name: 'send', data: { i, fail: i < counts.failing }, opts: { attempts: 1 } })));
  if (total > 0) await settled;
  await worker.close();
  await queue.addBulk(Array.from({ length: counts.waiting }, (_, i) => ({ name: 'send', data: { i } })));
  await queue.close();
  await Promise.all([connection.quit(), workerConnection.quit()]);
}
