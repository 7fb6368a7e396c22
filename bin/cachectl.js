#!/usr/bin/env node
// The cachectl executable: runs the built CLI (the bundle in dist/bundle/) and turns Ctrl-C into a graceful stop.
const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts += 1;
  if (interrupts > 1) process.exit(130);
  process.stderr.write('\ninterrupted: stopping after the current batch (Ctrl-C again to quit now)\n');
  controller.abort();
});
process.on('SIGTERM', () => controller.abort());

// A closed pipe (`cachectl keys … | head`) is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // `cachectl --version` alone: the version is all it prints, so the program is not loaded.
  const { readFileSync } = await import('node:fs');
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else if (!(await printedHelp())) await runCli();

/**
 * `cachectl`, `--help`, `help <command>`, `<command…> --help`: the help is printed from pages
 * written at build time, without loading the program (false when the line asks for more).
 */
async function printedHelp() {
  const last = args[args.length - 1];
  // Only a line that can be a help request reads the pages.
  if (!(args.length === 0 || args[0] === 'help' || last === '--help' || last === '-h')) return false;
  let text;
  try {
    const { helpText } = await import('../dist/bundle/help.js');
    text = helpText(args, process.stdout.isTTY ? process.stdout.columns : undefined);
  } catch (error) {
    if (error && error.code === 'ERR_MODULE_NOT_FOUND') return false; // runCli says how to build
    throw error;
  }
  if (text === undefined) return false;
  process.stdout.write(text);
  return true;
}

async function runCli() {
  let cli;
  try {
    // First: what `ps` shows of this process must not carry a password given on the command line.
    (await import('../dist/bundle/process-title.js')).hideArgvSecrets(args, process.env);
    cli = await import('../dist/bundle/main.js');
  } catch (error) {
    if (error && error.code === 'ERR_MODULE_NOT_FOUND') {
      process.stderr.write('error: cachectl is not built yet\nhint: run "npm run build" in the cachectl folder\n');
      process.exit(1);
    }
    throw error;
  }
  process.exitCode = await cli.run(args, { signal: controller.signal });
  // The run is over: leave now, not when the last handle lets go. Under PM2 stdin is a socket that
  // is never closed and would keep a finished command alive (PM2 would show a cron app as still
  // online); closing the connection and tearing the process down cost a few ms more. What was
  // written to a pipe is flushed first.
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
  process.exit();
}
