// --log-format json: every line exact JSON, nothing raw (C0, ESC, DEL, C1), secrets redacted.
import { Writable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { JsonLogOutput, logFormatInArgv } from '../../src/cli/log-format.js';
import { Output } from '../../src/cli/output.js';

class Capture extends Writable {
  text = '';
  isTTY = true; // even on a terminal: no progress line, no colours
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function streams() {
  return { stdout: new Capture(), stderr: new Capture(), stdin: new PassThrough() };
}

const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
const HOSTILE = 'key:\x1b[2Jcleared\x07\x7f\x85\x9bend';

function lines(text: string): Array<Record<string, unknown>> {
  expect(text.endsWith('\n') || text === '').toBe(true);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      expect(l, 'no raw control character').not.toMatch(RAW);
      return JSON.parse(l) as Record<string, unknown>;
    });
}

describe('JsonLogOutput', () => {
  it('every kind of output is one JSON object per line with time and level', () => {
    const s = streams();
    const out = new JsonLogOutput(s, { json: false, quiet: false, color: true }, 'clear-old');
    out.result({ deleted: 3, sample: [HOSTILE] });
    out.line(`text ${HOSTILE}`);
    out.table(['family', 'keys'], [['userState', 3]]);
    out.info('restricted to tenant acme');
    out.progress('half way');
    out.warn(`careful ${HOSTILE}`);
    out.error('it failed', { code: 'CACHECTL_USAGE', exitCode: 2 });
    out.hint('hint: try again');
    const stdout = lines(s.stdout.text);
    const stderr = lines(s.stderr.text);
    expect(stdout.map((r) => r.level)).toEqual(['info', 'info', 'info', 'info']);
    expect(stdout[0]).toMatchObject({ event: 'result', command: 'clear-old', result: { deleted: 3 } });
    // The value survives exactly (escaped as JSON, not mangled).
    expect((stdout[0]!.result as { sample: string[] }).sample[0]).toBe(HOSTILE);
    expect(stdout[1]!.msg).toBe(`text ${HOSTILE}`);
    expect(stdout[2]).toMatchObject({ event: 'table', rows: [{ family: 'userState', keys: 3 }] });
    expect(stderr).toEqual([
      expect.objectContaining({ level: 'warn', msg: `careful ${HOSTILE}` }),
      expect.objectContaining({ level: 'error', command: 'clear-old', msg: 'it failed', code: 'CACHECTL_USAGE', exitCode: 2 }),
      expect.objectContaining({ level: 'error', event: 'hint', msg: 'try again' }),
    ]);
    for (const record of [...stdout, ...stderr]) expect(Date.parse(String(record.time))).not.toBeNaN();
    expect(s.stdout.text + s.stderr.text).not.toContain('\x1b');
  });

  it('--quiet drops info lines, never warnings or errors', () => {
    const s = streams();
    const out = new JsonLogOutput(s, { json: false, quiet: true, color: false });
    out.info('chatty');
    out.warn('kept');
    expect(s.stdout.text).toBe('');
    expect(lines(s.stderr.text)).toEqual([expect.objectContaining({ level: 'warn', msg: 'kept' })]);
  });

  it('passwords in URLs are redacted', () => {
    const s = streams();
    new JsonLogOutput(s, { json: false, quiet: false, color: false }).warn('cannot reach redis://app:s3cret-pw@10.0.0.1:6379');
    expect(s.stderr.text).not.toContain('s3cret-pw');
  });
});

describe('Output.log (the records of maintenance, listen and exporter)', () => {
  it('writes records and pre-serialised lines through the same guard: no raw DEL or C1', () => {
    const s = streams();
    const out = new Output(s, { json: false, quiet: false, color: true });
    out.log({ level: 'info', event: 'step-progress', message: HOSTILE });
    out.log(JSON.stringify({ level: 'warn', event: 'warning', message: HOSTILE }));
    const records = lines(s.stdout.text);
    expect(records.map((r) => r.message)).toEqual([HOSTILE, HOSTILE]);
    expect(records[0]!.time).toEqual(expect.any(String));
  });
});

describe('logFormatInArgv', () => {
  it('finds the flag before parsing (so usage errors follow it)', () => {
    expect(logFormatInArgv(['clear-old', '--log-format', 'json', '--hours', 'x'])).toBe('json');
    expect(logFormatInArgv(['clear-old', '--log-format=json'])).toBe('json');
    expect(logFormatInArgv(['clear-old'])).toBeUndefined();
    expect(logFormatInArgv(['publish', '--', '--log-format', 'json'])).toBeUndefined();
  });
});
