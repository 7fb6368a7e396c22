// Run the built cachectl binary as a whole process: exit code, output, wall time and peak RSS
// (from /usr/bin/time -v when installed, else by polling the process's VmHWM).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/cachectl.js');

/** `{ code, seconds, stdout, stderr, rssMb }` of one run of `cachectl args…` in `cwd`. */
export function runCachectl(args, cwd) {
  const useTime = existsSync('/usr/bin/time');
  const command = useTime ? '/usr/bin/time' : process.execPath;
  const argv = useTime ? ['-v', process.execPath, BIN, ...args] : [BIN, ...args];
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let polledKb = 0;
    // Without /usr/bin/time: poll the high-water mark of the node process itself.
    const timer = useTime
      ? undefined
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) polledKb = Math.max(polledKb, Number(m[1]));
          } catch {
            // exited between polls
          }
        }, 20);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearInterval(timer);
      const seconds = (performance.now() - start) / 1000;
      const timeKb = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      resolve({ code, seconds, stdout, stderr, rssMb: (timeKb ? Number(timeKb[1]) : polledKb) / 1024 });
    });
  });
}
