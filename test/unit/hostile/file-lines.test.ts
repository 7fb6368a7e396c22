// fileLines: streamed lines with a per-line bound; CRLF and a last line without newline.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileLines } from '../../../src/core/queues/file-lines.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cachectl-lines-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(file: string, max?: number): Promise<string[]> {
  const out: string[] = [];
  for await (const line of fileLines(file, max)) out.push(line);
  return out;
}

describe('fileLines', () => {
  it('splits on \\n, drops \\r, keeps a last line without newline and multi-byte text across chunks', async () => {
    const long = 'é'.repeat(70_000); // 140 000 bytes: crosses 64 KiB chunk boundaries mid-character
    const file = path.join(dir, 'a.jsonl');
    await writeFile(file, `one\r\n\n${long}\nlast`);
    expect(await collect(file)).toEqual(['one', '', long, 'last']);
  });

  it('refuses a line over the limit, naming its number', async () => {
    const file = path.join(dir, 'b.jsonl');
    await writeFile(file, `ok\n${'x'.repeat(200_000)}\n`);
    await expect(collect(file, 100_000)).rejects.toThrow(/line 2: longer than/);
  });

  it('refuses a folder', async () => {
    await expect(collect(dir)).rejects.toThrow(/is a folder/);
  });
});
