/**
 * Writing a job file (the JSON lines of `queues export`) that exists only once complete: the lines
 * go to `<file>.partial`, which is synced, then renamed into place, and the folder synced, so after
 * a crash the file is either whole or absent (a stale `.partial` is simply written again).
 */
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/** Write the chunks `lines` yields to `file` atomically; the number of lines written. */
export async function writeJobFile(file: string, chunks: AsyncIterable<string[]>): Promise<number> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.partial`;
  const handle = await open(temp, 'w', 0o600);
  let lines = 0;
  try {
    for await (const chunk of chunks) {
      if (chunk.length === 0) continue;
      await handle.write(`${chunk.join('\n')}\n`);
      lines += chunk.length;
    }
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await rename(temp, file);
  await syncDir(path.dirname(file));
  return lines;
}

/** True when `file` exists (complete, since files are only renamed into place once synced). */
export async function jobFileExists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close().catch(() => undefined);
}
