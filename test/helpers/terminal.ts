// Run the built binary on a real pseudo-terminal of a given size (python3's pty module: Node has
// none built in), optionally typing Ctrl-C once some text has shown up a number of times, and
// return everything the terminal showed. Also: what a line "looks like" on the screen.
import { spawn } from 'node:child_process';
import { cellWidth } from '../../src/cli/width.js';
import { BIN, cleanEnv, ROOT } from './cli.js';

const DRIVER = `
import fcntl, json, os, pty, select, struct, sys, termios, time
args, cwd, cols, rows, wait_for, timeout = json.loads(sys.argv[1])
def seen(out):
    pos = 0
    for text in wait_for:
        i = out.find(text.encode(), pos)
        if i < 0:
            return False
        pos = i + len(text.encode())
    return True
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    os.chdir(cwd)
    os.execvp(args[0], args)
out = b''
interrupted = False
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
    if wait_for and not interrupted and seen(out):
        os.write(fd, b'\\x03')
        interrupted = True
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
print(json.dumps({'code': code, 'output': out.decode('utf-8', 'replace'), 'interrupted': interrupted}))
`;

export interface TerminalRun {
  code: number;
  /** stdout and stderr as the terminal received them (CR LF line ends, escape sequences kept). */
  output: string;
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
export function runOnTerminal(args: string[], options: TerminalOptions = {}): Promise<TerminalRun> {
  const payload = JSON.stringify([
    [process.execPath, BIN, ...args],
    options.cwd ?? ROOT,
    options.columns ?? 80,
    options.rows ?? 50,
    options.interruptAfter ?? [],
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
      resolve(JSON.parse(stdout) as TerminalRun);
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
