#!/usr/bin/env node
// The earlier clear-cache.js entry point, kept so that existing cron lines, PM2 ecosystem files and
// deploy hooks go on working: every command line is handed to cachectl as it is
// (`all`, `old --hours=48`, `user <id>`, `stats`, `maintenance`, `pm2-status`, `pm2-clean`,
// `--pm2-restart`, `--deploy`, `--pre-deploy`). See the README, "Migration from clear-cache.js".
const shown = process.argv.slice(2).join(' ');
process.stderr.write(`clear-cache.js is deprecated: running "cachectl${shown ? ` ${shown}` : ''}" (call cachectl directly)\n`);
await import('../bin/cachectl.js');
