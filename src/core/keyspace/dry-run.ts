/**
 * Dry runs: count what a delete would remove, and keep a sample, without deleting. Patterns are
 * scanned client-side (keys as Buffers); exact selections are checked with EXISTS.
 */
import { Cluster } from 'ioredis';
import { displayKey } from '../display.js';
import { existingKeys } from './key-delete.js';
import { guarded, passNodes, passSize } from './pattern-delete.js';
import type { KeyspaceRun } from './run.js';
import { scanNode } from './scan.js';
import { masterOfKey } from './slot.js';

/** Count the non-queue keys matching `pattern` on every master. */
export async function countPattern(run: KeyspaceRun, pattern: Buffer, target: string): Promise<void> {
  const count = run.options.count ?? run.context.count;
  await Promise.all(
    passNodes(run).map((node) =>
      guarded(run, node, async () => {
        const name = run.connection.nodeName(node);
        const coverage = run.coverage(name, await passSize(run, node), count, target);
        let completed = true;
        for await (const found of scanNode(node, { match: pattern, count, signal: run.signal, onStep: () => coverage.step() })) {
          const keys = run.withoutQueueKeys(found);
          for (const key of keys) if (run.summary.wantsSample) run.summary.offerSample(displayKey(key));
          run.summary.add(name, { matched: keys.length });
          run.progress(target);
          if (run.shouldStop()) {
            completed = false;
            break;
          }
        }
        // scanNode also stops on abort between SCAN calls (sparse patterns yield nothing for long).
        if (run.signal?.aborted) completed = !run.shouldStop();
        if (completed) coverage.complete();
      }),
    ),
  );
}

/** Count which of the exact `keys` exist. */
export async function countExact(run: KeyspaceRun, keys: Buffer[], target: string): Promise<number> {
  const { client } = run.connection;
  const wanted = run.withoutQueueKeys(keys);
  let found = 0;
  for (let i = 0; i < wanted.length; i += run.batch) {
    if (run.shouldStop()) break;
    const present = await existingKeys(client, wanted.slice(i, i + run.batch));
    for (const key of present) {
      const node = client instanceof Cluster ? (masterOfKey(client, key) ?? 'cluster') : run.connection.nodeName(run.connection.masters()[0]!);
      run.summary.add(node, { matched: 1 });
      if (run.summary.wantsSample) run.summary.offerSample(displayKey(key));
    }
    found += present.length;
    run.progress(target);
  }
  return found;
}
