// `--help` is honoured wherever the command word is, also after a global option that takes a value
// (`--tenant acme clear-old --help`): the command's help is shown and the command never runs —
// not even with --yes, which would otherwise clear keys.
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';

// Nothing listens on port 1 of the loopback: a command that ran would fail to connect (exit 3).
const NOWHERE = 'redis://127.0.0.1:1';

describe('--help after global options with values', () => {
  it.each([
    [['--tenant', 'acme', 'clear-old', '--help']],
    [['--tenant', 'acme', 'clear-old', '--hours', '1', '--yes', '--help']],
    [['--connect-timeout', '2s', '--tenant', 'acme', 'clear-all', '--yes', '--help']],
  ])('cachectl %j shows the help and runs nothing', async (args) => {
    const result = await spawnCli(['--redis-url', NOWHERE, ...args]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: cachectl clear-(old|all)\|/);
  });
});
