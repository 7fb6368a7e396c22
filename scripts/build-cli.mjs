// Build step: bundle the command-line program into dist/bundle/ (esbuild, ES modules, one chunk per
// lazily loaded command), so a run resolves a handful of files instead of hundreds. The library in
// dist/ (tsc output) is unchanged; the bundle reads its assets (Lua scripts, package.json) from there.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist/bundle');
const dist = (file) => import(pathToFileURL(path.join(root, 'dist', file)).href);

// The configuration of a run without a config file, validated once here (no zod at run time).
const { configSchema } = await dist('config/schema.js');
const { DEFAULT_FAMILIES } = await dist('config/defaults.js');
await writeFile(path.join(root, 'dist/config/parsed-defaults.json'), JSON.stringify(configSchema.parse({ families: DEFAULT_FAMILIES })));

// Every command's tree, for --help / --version / completion without loading command modules.
const { buildProgram } = await dist('cli/main.js');
const { CliContext } = await dist('cli/context.js');
const { commandEntries } = await dist('cli/commands/index.js');
const { describeCommand } = await dist('cli/command-meta-write.js');
const ctx = new CliContext({ streams: process, env: {}, cwd: root, signal: new AbortController().signal });
const program = buildProgram(ctx, await Promise.all(commandEntries.map((entry) => entry.load())));
const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
await writeFile(path.join(root, 'dist/cli/command-meta.json'), `${JSON.stringify({ version, program: describeCommand(program) }, null, 1)}\n`);
// The help of every command as it prints it, for `--help` without loading the program at all.
const { helpPages } = await dist('cli/help-page-write.js');
await writeFile(path.join(root, 'dist/cli/help-pages.json'), JSON.stringify(helpPages(program, version)));

/**
 * A module that reads a file next to itself (`new URL('./x.lua', import.meta.url)`) keeps reading it
 * from where tsc put that module in dist/, whichever chunk its code ends up in.
 */
function ownModuleUrl(source, file) {
  if (!source.includes('import.meta.url')) return source;
  const compiled = path.join(root, 'dist', path.relative(path.join(root, 'src'), file)).replace(/\.ts$/, '.js');
  const relative = path.relative(outdir, compiled).split(path.sep).join('/');
  return source.replaceAll('import.meta.url', `new URL(${JSON.stringify(relative)}, import.meta.url).href`);
}

/**
 * esbuild puts a module in a chunk by the set of entries (the program and each lazily loaded
 * command or library) that reach it, so the modules every run needs were spread over some twenty
 * chunks, each one more file for the module loader to find, read and link before anything runs.
 * Every lazily loaded module is only ever loaded after the program, so naming the program as its
 * import changes nothing at run time, and puts everything the program needs into one chunk.
 */
function startupOnce(startup) {
  const program = path.join(root, 'src/cli/main.ts');
  const importOf = (file) => `./${path.relative(path.dirname(file), program).split(path.sep).join('/')}`.replace(/^\.\/\.\.\//, '../');
  return (source, file) => (startup.has(file) ? source : `${source}\nimport ${JSON.stringify(importOf(file))};\n`);
}

function sourcePlugin(transform) {
  return {
    name: 'cachectl-sources',
    setup(build) {
      build.onLoad({ filter: /[/\\]src[/\\].*\.ts$/ }, async (args) => ({ contents: transform(await readFile(args.path, 'utf8'), args.path), loader: 'ts' }));
    },
  };
}

const options = {
  absWorkingDir: root,
  entryPoints: { 'process-title': 'src/cli/process-title.ts', help: 'src/cli/help-page.ts', main: 'src/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // pm2 starts its own files by path and is optional; bullmq loads an optional native addon.
  external: ['pm2', 'bullmq'],
  // Bundled CommonJS packages call require() for Node's own modules.
  // (created on first use: most chunks never call it).
  banner: {
    js: "import { createRequire as __cachectlCreateRequire } from 'node:module';\nlet __cachectlRequire;\nconst require = (id) => (__cachectlRequire ??= __cachectlCreateRequire(import.meta.url))(id);",
  },
  sourcemap: false,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
};

// First pass (not written): which of our modules the program, and the two small entries the
// executable loads before it, need before any command.
const probe = await build({ ...options, write: false, plugins: [sourcePlugin(ownModuleUrl)] });
const startup = new Set();
const pending = ['src/cli/main.ts', 'src/cli/process-title.ts', 'src/cli/help-page.ts'];
while (pending.length > 0) {
  const input = pending.pop();
  if (startup.has(path.join(root, input))) continue;
  startup.add(path.join(root, input));
  for (const i of probe.metafile.inputs[input]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) pending.push(i.path);
}

await rm(outdir, { recursive: true, force: true });
const once = startupOnce(startup);
const result = await build({ ...options, plugins: [sourcePlugin((source, file) => once(ownModuleUrl(source, file), file))] });

// Which sources and packages each chunk holds (read by the start-up tests; not needed to run).
await writeFile(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile));
