// Which packages and cachectl source files a run of the built binary loads: module-log.mjs records
// the files, and a bundle chunk counts as every input esbuild put into it (dist/bundle/meta.json).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, cleanEnv, ROOT } from './cli.js';

export interface LoadedModules {
  code: number;
  /** npm packages, e.g. `zod`, `@ioredis/commands`. */
  packages: Set<string>;
  /** cachectl's own modules as source paths, e.g. `src/cli/commands/ping`. */
  sources: Set<string>;
}

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

function bundleInputs(): Map<string, string[]> {
  const file = path.join(ROOT, 'dist/bundle/meta.json');
  const map = new Map<string, string[]>();
  if (!existsSync(file)) return map;
  const meta = JSON.parse(readFileSync(file, 'utf8')) as Metafile;
  for (const [output, { inputs }] of Object.entries(meta.outputs)) map.set(path.join(ROOT, output), Object.keys(inputs));
  return map;
}

function classify(file: string, into: LoadedModules): void {
  const relative = path.relative(ROOT, file).split(path.sep).join('/');
  const pkg = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(relative);
  if (pkg) into.packages.add(pkg[1]!);
  else if (/^(src|dist)\//.test(relative)) into.sources.add(relative.replace(/^dist\//, 'src/').replace(/\.(js|ts)$/, ''));
}

/** Run `cachectl <args>` with the module log preloaded. */
export async function loadedModules(args: string[], env: NodeJS.ProcessEnv = {}): Promise<LoadedModules> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-modules-'));
  const log = path.join(dir, 'modules.log');
  try {
    const preload = path.join(path.dirname(fileURLToPath(import.meta.url)), 'module-log.mjs');
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', preload, BIN, ...args], {
        cwd: dir,
        env: cleanEnv({ ...env, CACHECTL_MODULE_LOG: log }),
        stdio: ['ignore', 'ignore', 'ignore'],
      });
      child.on('error', reject);
      child.on('close', (c) => resolve(c ?? -1));
    });
    const chunks = bundleInputs();
    const result: LoadedModules = { code, packages: new Set(), sources: new Set() };
    const urls = new Set(
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((u) => u.startsWith('file:')),
    );
    for (const url of urls) {
      const file = fileURLToPath(url);
      const inputs = chunks.get(file);
      if (inputs) for (const input of inputs) classify(path.join(ROOT, input), result);
      else classify(file, result);
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
