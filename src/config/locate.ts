/**
 * Where the config file is, and where state goes: the places an operator expects. The config is
 * the first of `--config`, CACHECTL_CONFIG, `./cachectl.config.json`,
 * `$XDG_CONFIG_HOME/cachectl/config.json` (default `~/.config`) and `/etc/cachectl/config.json`
 * that exists; the first two must exist when given. State (logs, audit log, backups) goes to the
 * config file's folder, or to `$XDG_STATE_HOME/cachectl` (default `~/.local/state`) without one.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONFIG_FILE_NAME } from './defaults.js';

/** How a config file was (or would have been) found. */
export type ConfigSource = 'flag' | 'env' | 'cwd' | 'user' | 'system';

export interface ConfigCandidate {
  source: ConfigSource;
  /** Absolute path. */
  path: string;
  exists: boolean;
}

export interface ConfigLocation {
  /** The file in use, absent when none was found (defaults apply). */
  file: string | undefined;
  source: ConfigSource | undefined;
  /** Every place looked at, in order, up to the one in use. */
  searched: ConfigCandidate[];
}

export interface LocateOptions {
  /** `--config` (or CACHECTL_CONFIG when `fromEnv`). */
  file?: string | undefined;
  /** True when `file` came from CACHECTL_CONFIG rather than the command line. */
  fromEnv?: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** The system-wide file; CACHECTL_SYSTEM_CONFIG moves it (for packaging and tests). */
export const SYSTEM_CONFIG = '/etc/cachectl/config.json';

/** Find the config file: the first candidate that exists (an explicit one is always the answer). */
export function locateConfig(options: LocateOptions): ConfigLocation {
  const searched: ConfigCandidate[] = [];
  for (const candidate of candidates(options)) {
    const exists = existsSync(candidate.path);
    searched.push({ ...candidate, exists });
    const explicit = candidate.source === 'flag' || candidate.source === 'env';
    if (exists || explicit) return { file: candidate.path, source: candidate.source, searched };
  }
  return { file: undefined, source: undefined, searched };
}

function candidates(options: LocateOptions): Array<Omit<ConfigCandidate, 'exists'>> {
  const { cwd, env } = options;
  if (options.file !== undefined && options.file !== '') {
    return [{ source: options.fromEnv ? 'env' : 'flag', path: path.resolve(cwd, options.file) }];
  }
  return [
    { source: 'cwd', path: path.join(cwd, CONFIG_FILE_NAME) },
    { source: 'user', path: path.join(xdgDir(env, 'XDG_CONFIG_HOME', '.config'), 'cachectl', 'config.json') },
    { source: 'system', path: env.CACHECTL_SYSTEM_CONFIG || SYSTEM_CONFIG },
  ];
}

/** `$XDG_STATE_HOME/cachectl` (default `~/.local/state/cachectl`): state when no config file is used. */
export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  return path.join(xdgDir(env, 'XDG_STATE_HOME', path.join('.local', 'state')), 'cachectl');
}

/** An XDG base directory: the variable when it holds an absolute path (as the spec says), else under HOME. */
function xdgDir(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = env[name];
  if (value && path.isAbsolute(value)) return value;
  return path.join(env.HOME || os.homedir(), fallback);
}

/** What `config path` says about a source. */
export const SOURCE_LABELS: Record<ConfigSource, string> = {
  flag: '--config',
  env: 'CACHECTL_CONFIG',
  cwd: 'working directory',
  user: 'user config ($XDG_CONFIG_HOME)',
  system: 'system config',
};
