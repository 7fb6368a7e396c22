/**
 * The ledger of an import: how many lines of a given file (named by the SHA-256 of its content)
 * are already in a queue, in `<queue>:cachectl:import-<digest>`, kept 30 days. Each batch of jobs
 * and the ledger update go into one MULTI/EXEC, so after any interruption the ledger says exactly
 * which lines are in — even when workers have run those jobs since and `removeOnComplete` deleted
 * them — and a rerun adds only the rest.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ChainableCommander } from 'ioredis';
import type { QueueRef } from './discovery.js';

export const LEDGER_TTL_MS = 30 * 86_400_000;

/** SHA-256 of the file's bytes (hex). */
export async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function ledgerKey(ref: QueueRef, digest: string): string {
  return `${ref.key}:cachectl:import-${digest}`;
}

/** Lines of the file already imported, as the ledger records them (0 when there is none). */
export async function importedLines(client: { hget(key: string, field: string): Promise<string | null> }, key: string): Promise<number> {
  const done = await client.hget(key, 'done');
  return done === null ? 0 : Math.max(0, Number(done) || 0);
}

/** Queue the ledger update ("the first `done` lines are in") on the batch's transaction. */
export function recordLines(multi: ChainableCommander, key: string, done: number, file: string): void {
  multi.hset(key, { done: String(done), file, updatedAt: new Date().toISOString() });
  multi.pexpire(key, LEDGER_TTL_MS);
}
