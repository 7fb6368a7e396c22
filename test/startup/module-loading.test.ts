// Start-up cost: help and version load no command module; a command loads only what it uses
// (bullmq, pm2, zod, libphonenumber-js only in the commands, and runs, that need them).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  it.each([[['--version']], [['-V']]])('cachectl %j loads nothing of the program (the version is read from package.json)', async (args) => {
    const run = await loadedModules(args);
    expect(run.code).toBe(0);
    expect([...run.sources]).toEqual([]);
    expect([...run.packages]).toEqual([]);
  });

  it.each([[['--help']], [['help', 'queues']], [['ping', '--help']], [['queues', 'inspect', '-h']], [[]]])(
    'cachectl %j: the help page alone (not the program, not even commander)',
    async (args) => {
      const run = await loadedModules(args);
      expect(run.code).toBe(0);
      expect([...run.sources]).toEqual(['src/cli/help-page']);
      expect([...run.packages]).toEqual([]);
    },
  );

  it.each([[['--json', '--version']], [['--tenant', 'acme', 'ping', '--help']], [['nosuch', '--help']], [['nosuch']]])(
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
    // The tenant rules load only with --tenant.
    expect(run.sources).not.toContain('src/core/tenant');
  });

  it('a config file is validated with the schema (zod loads then)', async () => {
    const file = path.join(dir, 'cachectl.config.json');
    writeFileSync(file, JSON.stringify({ tenants: ['acme'] }));
    const run = await loadedModules(['--config', file, 'ping'], { REDIS_URL: server.url });
    expect(run.code).toBe(0);
    expect(run.packages).toContain('zod');
  });

  it('a config file found on the lookup path ($XDG_CONFIG_HOME) is validated too', async () => {
    const xdg = mkdtempSync(path.join(dir, 'xdg-'));
    mkdirSync(path.join(xdg, 'cachectl'));
    writeFileSync(path.join(xdg, 'cachectl', 'config.json'), JSON.stringify({ namespace: 'x' }));
    const run = await loadedModules(['ping'], { REDIS_URL: server.url, XDG_CONFIG_HOME: xdg });
    expect(run.code).toBe(0);
    expect(run.packages).toContain('zod');
  });

  it('--context without a config file goes through the config loader (unknown context: exit 2)', async () => {
    const run = await loadedModules(['--context', 'staging', 'ping'], { REDIS_URL: server.url });
    expect(run.code).toBe(2);
    expect(run.packages).toContain('zod');
  });

  it('completion answers from the command metadata: no other command module, no heavy package', async () => {
    const run = await loadedModules(['completion', '__complete', '--', 'queues', 'clean', '--']);
    expect(run.code).toBe(0);
    expect(commandModules(run.sources).filter((s) => !s.startsWith('src/cli/commands/completion'))).toEqual([]);
    for (const pkg of HEAVY) expect(run.packages).not.toContain(pkg);
  });

  it('clear-user loads the phone library it uses', async () => {
    const run = await loadedModules(['clear-user', '+27 82 123 4567', '--dry-run'], { REDIS_URL: server.url });
    expect(run.code).toBe(0);
    expect(run.packages).toContain('libphonenumber-js');
    expect(run.packages).not.toContain('bullmq');
  });
});
