/**
 * `--watch [interval]`: show a report again every interval until Ctrl-C or SIGTERM (exit 0), on the
 * one connection the command opened.
 * - On a terminal: redrawn in place (cursor home, each line cleared to its end, the rest of the
 *   screen cleared), fitted to the width and height. A lost connection shows "reconnecting…" and
 *   is retried every interval.
 * - With --json: one JSON document per line per interval (NDJSON), terminal or not.
 * - Otherwise (pipes, files, logs): one full report per interval under a timestamp header,
 *   separated by a blank line.
 * Without a terminal (and with --json) a lost connection ends the run with exit 3.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthError, CachectlError, ConnectionError } from '../errors.js';
import { classifyRedisError, isRedisFailure } from '../redis/errors.js';
import type { CliContext } from './context.js';
import type { CliStreams, Output } from './output.js';
import { watchInterval, type WatchFlags } from './view-options.js';
import { truncateEnd } from './width.js';

type Frame = (out: Output) => Promise<void>;
type Sink = CliStreams['stdout'] & { text: string };

/** Run `frame` once, or every interval with `--watch`. */
export async function watchable(ctx: CliContext, flags: WatchFlags, frame: Frame): Promise<void> {
  const interval = watchInterval(flags);
  if (interval === undefined) return frame(ctx.output);
  const out = ctx.output;
  const mode = out.json ? 'json' : out.streams.stdout.isTTY ? 'screen' : 'plain';
  const title = `every ${interval < 1000 || interval % 1000 ? `${interval}ms` : `${interval / 1000}s`}: cachectl ${ctx.command?.path ?? ''}`.trimEnd();
  const signal = ctx.signal;
  let frames = 0;
  while (!signal.aborted) {
    const stdout = sink(out.streams.stdout, mode === 'screen');
    // On the screen, warnings are part of the frame; elsewhere they go to stderr as usual.
    const warnings = sink(out.streams.stderr, false);
    const stderr = mode === 'screen' ? warnings : quietStderr(out.streams.stderr);
    const frameOut = out.derive({ ...out.streams, stdout, stderr }, { jsonLines: true });
    const header = `${title}  ${new Date().toISOString()}`;
    try {
      await frame(frameOut);
      if (signal.aborted) break;
      if (mode === 'screen') draw(out, [out.color.bold(header), '', stdout.text + warnings.text].join('\n'), frames === 0);
      else if (mode === 'plain') out.streams.stdout.write(`${frames > 0 ? '\n' : ''}# ${header}\n${stdout.text}`);
      else out.streams.stdout.write(stdout.text);
      frames++;
    } catch (error) {
      if (signal.aborted) break;
      const lost = await connectionLoss(ctx, error);
      if (!lost || mode !== 'screen' || frames === 0) throw lost ?? error;
      draw(out, [out.color.bold(header), '', out.color.yellow(`reconnecting… ${lost.message}`)].join('\n'), false);
      await ctx.close();
    }
    try {
      await sleep(interval, undefined, { signal });
    } catch {
      break;
    }
  }
}

/** Redraw the screen in place: home, every line cleared to its end, the rest cleared below. */
function draw(out: Output, text: string, first: boolean): void {
  const stream = out.streams.stdout as CliStreams['stdout'] & { rows?: number };
  const width = out.width();
  let lines = text.replace(/\n$/, '').split('\n');
  if (width !== undefined) lines = lines.map((l) => truncateEnd(l, width));
  const rows = stream.rows;
  if (rows !== undefined && rows > 2 && lines.length > rows - 1) {
    const more = lines.length - (rows - 2);
    lines = [...lines.slice(0, rows - 2), out.color.dim(`… ${more} more line(s): a taller terminal shows them`)];
  }
  stream.write(`${first ? '\x1b[2J' : ''}\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\n')}\n\x1b[J`);
}

/** A stream that keeps what is written (the frame being prepared). */
function sink(like: CliStreams['stdout'], isTTY: boolean): Sink {
  const stream = {
    text: '',
    isTTY,
    get columns() {
      return like.columns;
    },
    write(chunk: string | Uint8Array) {
      stream.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      return true;
    },
  };
  return stream as unknown as Sink;
}

/** stderr without the progress line (it would interleave with the reports). */
function quietStderr(stderr: CliStreams['stderr']): CliStreams['stderr'] {
  return { write: (chunk: string) => stderr.write(chunk), isTTY: false } as unknown as CliStreams['stderr'];
}

/** The error as a lost connection worth retrying, or undefined for anything else. */
async function connectionLoss(ctx: CliContext, error: unknown): Promise<CachectlError | undefined> {
  let failure = error;
  if (!(failure instanceof CachectlError) && isRedisFailure(failure)) {
    const connection = await ctx.connection().catch(() => undefined);
    failure = connection ? connection.wrapError(failure) : classifyRedisError(failure, 'the server');
  }
  return failure instanceof ConnectionError && !(failure instanceof AuthError) ? failure : undefined;
}
