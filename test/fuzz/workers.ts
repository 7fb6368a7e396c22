// A small pool of CLI workers (test/fuzz/cli-worker.mjs) so thousands of command lines run in
// seconds: each worker runs lines one at a time, in-process, against the built CLI.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { cleanEnv, ROOT, type CliResult } from '../helpers/cli.js';

interface Pending {
  resolve: (result: CliResult) => void;
  start: number;
}

export class WorkerPool {
  private readonly children: ChildProcess[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly idle: ChildProcess[] = [];
  private readonly queue: Array<() => void> = [];
  private next = 0;

  constructor(size: number, cwd: string) {
    for (let i = 0; i < size; i++) {
      const child = spawn(process.execPath, [path.join(ROOT, 'test/fuzz/cli-worker.mjs'), cwd], { cwd, stdio: ['pipe', 'pipe', 'inherit'] });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const { id, code, stdout, stderr } = JSON.parse(line) as { id: number; code: number; stdout: string; stderr: string };
        const job = this.pending.get(id)!;
        this.pending.delete(id);
        this.release(child);
        job.resolve({ code, stdout, stderr, ms: performance.now() - job.start });
      });
      this.children.push(child);
      this.idle.push(child);
    }
  }

  private release(child: ChildProcess): void {
    const waiting = this.queue.shift();
    this.idle.push(child);
    waiting?.();
  }

  /** Run one command line on the first free worker. */
  async run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    while (this.idle.length === 0) await new Promise<void>((resolve) => this.queue.push(resolve));
    const child = this.idle.shift()!;
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, start: performance.now() });
      child.stdin!.write(`${JSON.stringify({ id, argv, env: cleanEnv(env) })}\n`);
    });
  }

  close(): void {
    for (const child of this.children) child.kill();
  }
}
