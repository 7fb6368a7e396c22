#!/usr/bin/env node
// `npm run demo`: a throwaway Redis with a realistic messaging cache, and what cachectl shows of
// it. The server is stopped at the end, on error and on Ctrl-C.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedCache, seedQueue } from './lib/seed.mjs';
import { startThrowawayServer } from './lib/throwaway-server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/cachectl.js');
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

const work = mkdtempSync(path.join(tmpdir(), 'cachectl-demo-run-'));
const configFile = path.join(work, 'cachectl.config.json');

function shown(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg}'`;
}

function run(args, url, stdio) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: work, env: { ...process.env, REDIS_URL: url, CACHECTL_CONFIG: configFile }, stdio });
}

/** Show a command and its output; `why` explains a non-zero exit code the demo expects. */
function cachectl(caption, args, url, why) {
  console.log(`\n${bold(`# ${caption}`)}\n$ cachectl ${args.map(shown).join(' ')}`);
  const result = run(args, url, 'inherit');
  if (result.status !== 0) console.log(`(exit code ${result.status}${why ? `: ${why(result.status)}` : ''})`);
  return result.status;
}

/** How `stats` will count this keyspace: every key when it is smaller than the sample, else a sample. */
function statsCaption(url) {
  const result = run(['stats', '--json', '--no-queues'], url, ['ignore', 'pipe', 'ignore']);
  const sampling = result.status === 0 ? JSON.parse(result.stdout.toString()).sampling : undefined;
  if (sampling?.method === 'exact' || sampling?.everyKeyInspected)
    return 'What is in the cache, per family? (this keyspace is small, so every key is inspected; a big one is sampled, --exact forces a full pass)';
  return 'What is in the cache, per family? (estimated from a random sample; --exact counts every key in one pass)';
}

const server = await startThrowawayServer();
try {
  console.log(`Started a throwaway redis-server on ${server.url} (temp dir, no persistence).`);
  const facts = await seedCache(server.url);
  const queue = await seedQueue(server.url);
  console.log(
    `Seeded ${facts.users} user states, tenant mappings for ${facts.tenants.join(' and ')} (plus a stale tenant:default copy of ` +
      `conversation ${facts.staleConversation}), chat lists, story contexts, and BullMQ queue "${queue.name}" ` +
      `(${queue.done} completed, ${queue.failing} failed, ${queue.waiting} waiting).`,
  );

  // The demo's config: the tenants are known, so a conversation resolves to exact keys.
  writeFileSync(configFile, JSON.stringify({ tenants: facts.tenants, logs: { dir: path.join(work, 'logs') } }, null, 2));
  const conversation = facts.staleConversation;
  const wa = facts.samplePhone.replace(/^\+/, '');
  const spaced = `+${wa.slice(0, 2)} ${wa.slice(2, 4)} ${wa.slice(4, 7)} ${wa.slice(7)}`;
  const backupFile = path.join(work, 'stories.cbk');

  cachectl('Is the server there, what is it?', ['ping'], server.url);
  cachectl(statsCaption(server.url), ['stats'], server.url);
  cachectl('Is it healthy? (exit code 1 when a check fails: for cron and CI)', ['doctor'], server.url, (code) =>
    code === 1
      ? `expected here: the demo data has ${facts.withoutTtl} cache keys without a TTL on purpose (${facts.userStatesWithoutTtl} user states and the 2 stale ` +
        'tenant:default copies), so "Cache keys without TTL" fails; "cachectl ttl apply" would give them their policy TTL'
      : 'unexpected for the demo data',
  );
  cachectl(
    'Where is this conversation cached? In its tenant, and the stale tenant:default copy',
    ['keys', 'convMapping', '--conversationId', conversation],
    server.url,
  );
  cachectl('What would invalidating it remove, in every tenant namespace?', ['invalidate', 'conversation', conversation, '--dry-run'], server.url);
  cachectl('Remove them (exact keys, no scan)', ['invalidate', 'conversation', conversation], server.url);
  cachectl('Erase one user, whatever the spelling of the number: a per-family erase report', ['clear-user', spaced], server.url);
  cachectl(
    'A pattern, deleted on the server in bounded steps, keeping a backup of what goes',
    ['invalidate', 'pattern', 'context:STORY-000*', '--yes', '--backup', backupFile],
    server.url,
  );
  cachectl('…and put back exactly what was removed', ['restore', backupFile, '--yes'], server.url);
  cachectl('The BullMQ queue next to the cache', ['queues'], server.url);
  cachectl('Every cache family, counted without deleting', ['clear-all', '--dry-run'], server.url);
  cachectl('Clear every cache family: queues and keys of no family stay', ['clear-all', '--yes'], server.url);
  cachectl('The queue is untouched', ['queues'], server.url);
} finally {
  rmSync(work, { recursive: true, force: true });
  await server.stop();
  console.log('\nStopped the throwaway server and removed its files.');
}
