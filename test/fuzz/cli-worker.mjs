// A long-lived worker for the fuzz suites: runs the built CLI in-process for each JSON line
// {id, argv, env} read on stdin and answers {id, code, stdout, stderr} (streams captured).
import { Writable, PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';

const { run } = await import(new URL('../../dist/cli/main.js', import.meta.url).href);

class Capture extends Writable {
  text = '';
  isTTY = false;
  _write(chunk, _enc, done) {
    this.text += chunk.toString();
    done();
  }
}

const cwd = process.argv[2] ?? process.cwd();
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  const { id, argv, env } = JSON.parse(line);
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = new PassThrough();
  stdin.end('');
  let code;
  try {
    code = await run(argv, { streams: { stdout, stderr, stdin }, env, cwd, signal: new AbortController().signal });
  } catch (error) {
    code = -1;
    stderr.text += `THROWN ${error?.stack ?? error}`;
  }
  process.stdout.write(`${JSON.stringify({ id, code, stdout: stdout.text, stderr: stderr.text })}\n`);
}
