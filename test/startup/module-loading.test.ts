// Start-up cost: help and version load no command module; a command loads only what it uses
// (bullmq, pm2, zod, libphonenumber-js only in the commands, and runs, that need them).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedModules } from '../helpers/loaded-modules.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';

const HEAVY = ['bullmq', 'pm2', 'zod', 'libphonenumber-js'];
/** Command implementations (the registry, commands/index, only names them). */
const commandModules = (sources: Set<string>) => [...sources].filter((s) => s.startsWith('src/cli/commands/') && s !== 'src/cli/commands/index');

let server: ServerHandle;
const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-startup-'));

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('modules a run loads', () => {
  it.each([[['--version']], [['--help']], [['help', 'queues']], [['ping', '--help']], [[]], [['nosuch']]])(
    'cachectl %j: no command module, no heavy package, no ioredis',
    async (args) => {
      const run = await loadedModules(args);
      expect(run.sources.has('src/cli/main')).toBe(true); // the log works
      expect(commandModules(run.sources)).toEqual([]);
      for (const pkg of [...HEAVY, 'ioredis']) expect(run.packages).not.toContain(pkg);
    },
  );

  it('ping without a config file loads ping only, and none of bullmq, pm2, zod, libphonenumber-js', async () => {
    const run = await loadedModules(['ping'], { REDIS_URL: server.url });
    expect(run.code).toBe(0);
    expect(run.packages).toContain('ioredis');
    expect(commandModules(run.sources)).toEqual(['src/cli/commands/ping']);
    for (const pkg of HEAVY) expect(run.packages).not.toContain(pkg);
  });

  it('a config file is validated with the schema (zod loads then)', async () => {
    const file = path.join(dir, 'cachectl.config.json');
    writeFileSync(file, JSON.stringify({ tenants: ['acme'] }));
    const run = await loadedModules(['--config', file, 'ping'], { REDIS_URL: server.url });
    expect(run.code).toBe(0);
    expect(run.packages).toContain('zod');
  });

  it('clear-user loads the phone library it uses', async () => {
    const run = await loadedModules(['clear-user', '+27 82 123 4567', '--dry-run'], { REDIS_URL: server.url });
    expect(run.code).toBe(0);
    expect(run.packages).toContain('libphonenumber-js');
    expect(run.packages).not.toContain('bullmq');
  });
});
