/**
 * Load a PM2 ecosystem file and lint it: PM2 drops unknown keys silently and loops a script that
 * exits unless told otherwise, so the mistakes that matter are invisible until 2 AM.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path, { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { installedAppKeys, PM2_DEPLOY_HOOKS, type Pm2AppKeys } from './app-keys.js';
import { checkCron, cronDisabled } from './cron.js';
import { cachectlCommandOf, isCachectlScript, LONG_RUNNING_COMMANDS } from './commands.js';
import { checkInputFile, MIB } from '../../input-file.js';

/** One `apps[]` entry, as written in the file. */

/** The ecosystem file PM2 commands read by default. */
export const DEFAULT_ECOSYSTEM = 'ecosystem.config.cjs';

export interface EcosystemApp {
  name?: string;
  script?: string;
  args?: string | string[];
  cron_restart?: string | number;
  autorestart?: boolean;
  kill_timeout?: number;
  [key: string]: unknown;
}

/** A loaded ecosystem file. */
export interface Ecosystem {
  /** Absolute path of the file. */
  file: string;
  apps: EcosystemApp[];
  deploy?: Record<string, Record<string, unknown>>;
}

export interface LintFinding {
  /** App name, or `deploy.<env>` for the deploy section. */
  app: string;
  level: 'warn' | 'fail';
  message: string;
}

const requireFrom = createRequire(import.meta.url);

/**
 * Load `file` (a `.cjs`, `.js` CommonJS or `.json` ecosystem file) freshly, without caching.
 * Throws `UsageError` when it is missing, does not load, or has no `apps` array.
 */
export async function loadEcosystem(file: string, cwd: string = process.cwd()): Promise<Ecosystem> {
  const path = resolve(cwd, file);
  if (!existsSync(path)) {
    throw new UsageError(`ecosystem file not found: ${path}`, { hint: 'pass --ecosystem <file> (default ./ecosystem.config.cjs)' });
  }
  // require() would read a device or a huge file whole: check what it is first.
  checkInputFile(path, { what: 'ecosystem file', maxBytes: MIB, option: '--ecosystem' });
  let exported: unknown;
  try {
    delete requireFrom.cache[path];
    exported = requireFrom(path);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const hint =
      e.code === 'ERR_REQUIRE_ESM' || e.code === 'ERR_REQUIRE_ASYNC_MODULE'
        ? 'name the file .cjs and use module.exports = { apps: [...] }'
        : 'fix the file: it must be CommonJS (module.exports = { apps: [...] }) or JSON';
    throw new UsageError(`cannot load ecosystem file ${path}: ${firstLine(e.message)}`, { hint, cause: error });
  } finally {
    delete requireFrom.cache[path];
  }
  const value = (exported as { default?: unknown })?.default ?? exported;
  const apps = Array.isArray(value) ? value : (value as { apps?: unknown })?.apps;
  if (!Array.isArray(apps) || apps.some((a) => !a || typeof a !== 'object')) {
    throw new UsageError(`ecosystem file ${path} has no "apps" array of objects`, { hint: 'module.exports = { apps: [{ name, script, ... }] }' });
  }
  const deploy = Array.isArray(value) ? undefined : (value as { deploy?: unknown }).deploy;
  return { file: path, apps: apps as EcosystemApp[], ...(deploy && typeof deploy === 'object' ? { deploy: deploy as Ecosystem['deploy'] } : {}) };
}

/** An app's display name (PM2 derives a missing name from the script file name). */
export function appName(app: EcosystemApp, index: number): string {
  if (typeof app.name === 'string' && app.name) return app.name;
  if (typeof app.script === 'string') return app.script.replace(/^.*\//, '').replace(/\.[^.]+$/, '');
  return `apps[${index}]`;
}

/** Apps with an active `cron_restart`. */
export function cronApps(eco: Ecosystem): EcosystemApp[] {
  return eco.apps.filter((app) => !cronDisabled(app.cron_restart));
}

export interface LintOptions {
  /** cachectl command names (and aliases) that exist; without it, `args` are not checked. */
  commands?: readonly string[];
  /** Zone for validating cron expressions (PM2 itself uses the daemon's local zone). */
  tz?: string;
  /** PM2's option names; default: the installed pm2's schema. `null`: pm2 is not installed. */
  appKeys?: Pm2AppKeys | null;
}

/** The finding that says option names were not checked. */
export const NO_SCHEMA_MESSAGE = 'pm2 is not installed: option names not checked against its schema (npm install pm2)';

/** Check every app (and the deploy section) for the mistakes PM2 will not report. */
export function lintEcosystem(eco: Ecosystem, options: LintOptions = {}): LintFinding[] {
  const findings: LintFinding[] = [];
  const known = options.commands ? new Set(options.commands) : undefined;
  const seen = new Set<string>();
  const appKeys = options.appKeys === undefined ? installedAppKeys() : (options.appKeys ?? undefined);
  if (!appKeys) findings.push({ app: path.basename(eco.file), level: 'warn', message: NO_SCHEMA_MESSAGE });
  eco.apps.forEach((app, index) => {
    const name = appName(app, index);
    const add = (level: LintFinding['level'], message: string) => findings.push({ app: name, level, message });
    if (seen.has(name)) add('fail', `duplicate app name "${name}": PM2 starts both under one name`);
    seen.add(name);
    if (typeof app.script !== 'string' || !app.script) add('fail', 'no "script": PM2 cannot start this app');
    for (const key of appKeys ? Object.keys(app) : []) {
      if (appKeys?.canonical(key) !== undefined) continue;
      const why =
        key === 'pre_restart' || key === 'post_restart'
          ? `PM2 ignores this key: there is no ${key} hook; run "cachectl hook pm2-restart" from a deploy hook or your restart script`
          : `PM2 ignores this key: "${key}" is not a PM2 app option and is dropped silently`;
      add('fail', why);
    }
    const command = isCachectlScript(app.script) ? cachectlCommandOf(app.args) : undefined;
    if (known && command !== undefined && command !== '' && !known.has(command)) {
      add('warn', `args call "${command}", which is not a cachectl command`);
    }
    const exits = command !== undefined && !LONG_RUNNING_COMMANDS.includes(command);
    if (!cronDisabled(app.cron_restart)) {
      const expression = String(app.cron_restart);
      const check = checkCron(app.cron_restart, { tz: options.tz ?? 'UTC' });
      if (!check.valid) add('fail', `invalid cron_restart "${expression}": ${check.error} (pm2 start refuses the whole file)`);
      else if (check.next.length === 0) add('warn', `cron_restart "${expression}" never fires (no such date)`);
      else if (check.note) add('warn', `cron_restart "${expression}": ${check.note}`);
      if (app.autorestart !== false) {
        if (exits) add('fail', `cron_restart without autorestart: false: "${command || 'cachectl'}" exits after one run and PM2 restarts it in a loop`);
        else if (command === undefined) add('warn', 'cron_restart without autorestart: false: if this script exits, PM2 restarts it in a loop');
      }
      if (command !== undefined && LONG_RUNNING_COMMANDS.includes(command)) {
        add('warn', `"${command}" is long-running; cron_restart restarts it on every tick`);
      }
    } else if (exits && app.autorestart !== false) {
      add('fail', `"${command || 'cachectl'}" exits after one run and has no autorestart: false: PM2 restarts it in a loop`);
    }
    if (app.kill_timeout !== undefined && (typeof app.kill_timeout !== 'number' || app.kill_timeout <= 0)) {
      add('fail', `kill_timeout must be a positive number of milliseconds (got ${JSON.stringify(app.kill_timeout)})`);
    }
  });
  for (const [env, section] of Object.entries(eco.deploy ?? {})) {
    const add = (level: LintFinding['level'], message: string) => findings.push({ app: `deploy.${env}`, level, message });
    if (!section || typeof section !== 'object') {
      add('fail', 'deploy environment is not an object');
      continue;
    }
    for (const key of Object.keys(section)) {
      if (/^(pre|post)-/.test(key) && !PM2_DEPLOY_HOOKS.includes(key)) {
        add('fail', `PM2 ignores this key: "${key}" is not a deploy hook (${PM2_DEPLOY_HOOKS.join(', ')})`);
      } else if (!DEPLOY_KEYS.includes(key) && !PM2_DEPLOY_HOOKS.includes(key)) {
        add('warn', `"${key}" is not a pm2-deploy option`);
      }
    }
  }
  return findings;
}

/** Keys pm2-deploy reads from a deploy environment besides the hooks. */
const DEPLOY_KEYS = ['user', 'host', 'ref', 'repo', 'path', 'key', 'ssh_options', 'forward-agent', 'env'];

function firstLine(message: string): string {
  return message.split('\n').find((l) => l.trim() !== '') ?? message;
}
