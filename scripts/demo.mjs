#!/usr/bin/env node
// `npm run demo`: a throwaway Redis with a realistic messaging cache, and what cachectl shows of
// it. The server is stopped at the end, on error and on Ctrl-C.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedCache, seedQueue } from './lib/seed.mjs';
import { startThrowawayServer } from './lib/throwaway-server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/cachectl.js');
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

function cachectl(caption, args, url) {
  console.log(`\n${bold(`# ${caption}`)}\n$ cachectl ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, REDIS_URL: url },
    stdio: 'inherit',
  });
  if (result.status !== 0) console.log(`(exit code ${result.status})`);
  return result.status;
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

  cachectl('Is the server there, what is it?', ['ping'], server.url);
} finally {
  await server.stop();
  console.log('\nStopped the throwaway server and removed its files.');
}
