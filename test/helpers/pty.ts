// Run the built binary on a real pseudo-terminal of a given size (python3's pty module: Node has
// none built in), typing into it once given texts have shown up, and return everything the
// terminal showed. Also: what a line "looks like" on the screen.
import { spawn } from 'node:child_process';
import { cellWidth } from '../../src/cli/width.js';
import { BIN, cleanEnv, ROOT } from './cli.js';

// steps: [[texts, send], ...]: once `texts` have appeared in this order (after the previous step's
// texts), write `send`. The child is killed when the timeout passes.
const DRIVER = `
import fcntl, json, os, pty, select, struct, sys, termios, time
args, cwd, cols, rows, steps, timeout = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    os.chdir(cwd)
    os.execvp(args[0], args)
out = b''
pos = 0
done = 0
deadline = time.time() + timeout
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.1)
    if fd in ready:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    while done < len(steps):
        texts, send = steps[done]
        at = pos
        for text in texts:
            i = out.find(text.encode(), at)
            if i < 0:
                break
            at = i + len(text.encode())
        else:
            os.write(fd, send.encode())
            pos = at
            done += 1
            continue
        break
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
print(json.dumps({'code': code, 'output': out.decode('utf-8', 'replace'), 'sent': done}))
`;

export interface TerminalRun {
  code: number;
  /** stdout and stderr as the terminal received them (CR LF line ends, escape sequences kept). */
  output: string;
  /** True once Ctrl-C was typed (`interruptAfter`). */
  interrupted: boolean;
}

export interface TerminalOptions {
  columns?: number;
  rows?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Type Ctrl-C once these texts have appeared, in this order (repeat one to wait for it again). */
  interruptAfter?: string[];
  timeoutMs?: number;
}

/** Run `cachectl args` on a pseudo-terminal of `columns` × `rows` cells (default 80 × 50). */
export async function runOnTerminal(args: string[], options: TerminalOptions = {}): Promise<TerminalRun> {
  const steps: Array<[string[], string]> = options.interruptAfter?.length ? [[options.interruptAfter, '\x03']] : [];
  const { sent, ...run } = await drive(args, steps, options);
  return { ...run, interrupted: sent > 0 };
}

export interface PtyResult {
  code: number;
  /** stdout and stderr as the terminal showed them (CR LF line ends). */
  output: string;
  answered: boolean;
}

/** Run `cachectl args` on a pseudo-terminal and type `answer` at the first prompt ending with `waitFor`. */
export async function runOnPty(args: string[], options: { waitFor: string; answer: string; cwd?: string }): Promise<PtyResult> {
  const { sent, ...run } = await drive(args, [[[options.waitFor], options.answer]], { ...options, timeoutMs: 60_000 });
  return { ...run, answered: sent > 0 };
}

async function drive(args: string[], steps: Array<[string[], string]>, options: TerminalOptions): Promise<{ code: number; output: string; sent: number }> {
  const payload = JSON.stringify([
    [process.execPath, BIN, ...args],
    options.cwd ?? ROOT,
    options.columns ?? 80,
    options.rows ?? 50,
    steps,
    (options.timeoutMs ?? 25_000) / 1000,
  ]);
  // No COLUMNS from outside: the width must come from the terminal itself.
  const { COLUMNS: _c, LINES: _l, ...env } = cleanEnv({ TERM: 'xterm', ...options.env });
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', DRIVER, payload], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`pty driver failed (${code}): ${stderr}`));
      resolve(JSON.parse(stdout) as { code: number; output: string; sent: number });
    });
  });
}

/**
 * What each line leaves on the screen: split at line ends, each line's last carriage-return
 * redraw, escape sequences other than colours removed (colours take no cells anyway).
 */
export function screenLines(output: string): string[] {
  return output
    .split(/\r?\n/)
    .flatMap((line) => line.split('\r'))
    .map((segment) => segment.replace(/\x1b\[[0-9;?]*[A-Za-ln-z]/g, ''));
}

/** The widest line in cells, and the line itself (for failure messages). */
export function widest(output: string): { width: number; line: string } {
  let best = { width: 0, line: '' };
  for (const line of screenLines(output)) {
    const width = cellWidth(line);
    if (width > best.width) best = { width, line };
  }
  return best;
}
