// Run the built binary on a real pseudo-terminal (python3's pty module: Node has none built in),
// answer the first prompt that ends with `waitFor`, and return everything the terminal showed.
import { spawn } from 'node:child_process';
import { BIN, cleanEnv, ROOT } from './cli.js';

const DRIVER = `
import json, os, pty, select, sys, time
args, wait_for, answer, cwd = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.chdir(cwd)
    os.execvp(args[0], args)
out = b''
answered = False
deadline = time.time() + 60
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.2)
    if fd in ready:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if not answered and wait_for.encode() in out:
            os.write(fd, answer.encode())
            answered = True
_, status = os.waitpid(pid, 0)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
print(json.dumps({'code': code, 'output': out.decode('utf-8', 'replace'), 'answered': answered}))
`;

export interface PtyResult {
  code: number;
  /** stdout and stderr as the terminal showed them (CR LF line ends). */
  output: string;
  answered: boolean;
}

export function runOnPty(args: string[], options: { waitFor: string; answer: string; cwd?: string }): Promise<PtyResult> {
  const payload = JSON.stringify([[process.execPath, BIN, ...args], options.waitFor, options.answer, options.cwd ?? ROOT]);
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', DRIVER, payload], { env: cleanEnv({ TERM: 'xterm' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`pty driver failed (${code}): ${stderr}`));
      resolve(JSON.parse(stdout) as PtyResult);
    });
  });
}
