// Benchmark: peak memory of `cachectl backup` and `cachectl restore` for one large key beside many
// small ones, at several sizes up to the 16 MiB record cap (docs/backup.md, "Limits"). Peak RSS of
// the cachectl process from /usr/bin/time -v (or /proc VmHWM polling).
//
//   npm run build && node bench/backup-large.mjs
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startThrowawayServer } from '../scripts/lib/throwaway-server.mjs';
import { runCachectl } from './lib/run-cli.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RSS_LIMIT_MB = 200;
const MB = 1024 * 1024;
const SIZES = [1 * MB, 4 * MB, 8 * MB, 16 * MB - 64];
const SMALL = 20_000;

if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) {
  console.error('dist/ is missing: run "npm run build" first');
  process.exit(2);
}

const server = await startThrowawayServer({ args: ['--maxmemory-policy', 'noeviction'] });
const work = mkdtempSync(path.join(tmpdir(), 'cachectl-bench-large-'));
const redis = new Redis(server.url);
let failed = false;
try {
  console.log('large key (payload) | backup peak RSS | restore peak RSS');
  for (const size of SIZES) {
    await redis.flushall(); // the bench's own throwaway server
    const p = redis.pipeline();
    for (let i = 0; i < SMALL; i++) p.set(`bench:small:${i}`, `{"id":${i}}`);
    await p.exec();
    // Random bytes: DUMP cannot compress them, so the payload is as large as the value.
    await redis.set('bench:large', randomBytes(size));
    const file = path.join(work, `large-${size}.cbk`);
    const backup = await runCachectl(['backup', 'pattern', 'bench:*', '--out', file, '--json', '--redis-url', server.url], work);
    if (backup.code !== 0) throw new Error(`backup exited ${backup.code}: ${backup.stderr}`);
    await redis.flushall();
    const restore = await runCachectl(['restore', file, '--yes', '--json', '--redis-url', server.url], work);
    if (restore.code !== 0) throw new Error(`restore exited ${restore.code}: ${restore.stderr}`);
    if ((await redis.strlen('bench:large')) !== size) throw new Error('large key not restored');
    const ok = backup.rssMb < RSS_LIMIT_MB && restore.rssMb < RSS_LIMIT_MB;
    if (!ok) failed = true;
    console.log(
      `${(size / MB).toFixed(2).padStart(13)} MiB | ${backup.rssMb.toFixed(0).padStart(12)} MB | ${restore.rssMb.toFixed(0).padStart(13)} MB ${ok ? '✓' : '✗'}`,
    );
  }
  console.log(`with ${SMALL.toLocaleString('en-US')} small keys beside it; target: peak RSS < ${RSS_LIMIT_MB} MB`);
} finally {
  redis.disconnect();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
