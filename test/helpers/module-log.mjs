// Preload (`node --import`) that records every module a run loads, ES modules through a loader
// hook and CommonJS ones from require's cache at exit, one URL per line in $CACHECTL_MODULE_LOG.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const log = process.env.CACHECTL_MODULE_LOG;
if (log) {
  register('./module-log-hooks.mjs', import.meta.url, { data: { log } });
  process.on('exit', () => {
    const cjs = Object.keys(createRequire(import.meta.url).cache).map((file) => pathToFileURL(file).href);
    appendFileSync(log, cjs.map((url) => `${url}\n`).join(''));
  });
}
