/**
 * The lines of an import file, streamed: read in 64 KiB chunks, each line bounded (a file with
 * no newline cannot make the process hold more than the limit), the file checked to be a regular
 * file first. There is no limit on the number of lines.
 */
import { createReadStream } from 'node:fs';
import { UsageError } from '../../errors.js';
import { checkInputFile, MIB } from '../../input-file.js';

export const CHUNK_BYTES = 64 * 1024;
export const MAX_LINE_BYTES = 32 * MIB;

/** Yield each line of `file` as text (without its `\n` / `\r\n`). Throws `UsageError` (exit 2). */
export async function* fileLines(file: string, maxLineBytes: number = MAX_LINE_BYTES): AsyncGenerator<string> {
  checkInputFile(file, { what: 'import file', maxBytes: Number.MAX_SAFE_INTEGER });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let number = 0;
  const take = (tail: Buffer): string => {
    number++;
    const bytes = pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    return bytes.toString('utf8', 0, end);
  };
  const stream = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a, start); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
        if (pendingBytes + (nl - start) > maxLineBytes) throw tooLong(file, number + 1, maxLineBytes);
        yield take(chunk.subarray(start, nl));
        start = nl + 1;
      }
      if (start < chunk.length) {
        pendingBytes += chunk.length - start;
        if (pendingBytes > maxLineBytes) throw tooLong(file, number + 1, maxLineBytes);
        pending.push(chunk.subarray(start));
      }
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot read the import file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  } finally {
    stream.destroy();
  }
  if (pendingBytes > 0) yield take(Buffer.alloc(0));
}

function tooLong(file: string, line: number, max: number): UsageError {
  return new UsageError(`${file}, line ${line}: longer than the ${max / MIB} MiB limit for one line; nothing was imported`, {
    hint: 'each line must be one job as written by "cachectl queues export"',
  });
}
