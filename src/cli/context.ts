/**
 * What every command gets: the output, the resolved configuration and a lazily opened
 * connection, all built once from the global options.
 */
import { canSkipSchema, defaultsOnlyConfig } from '../config/defaults-only.js';
import type { CachectlConfig, LoadConfigOptions, loadConfig } from '../config/load.js';
import { locateConfig, type ConfigLocation } from '../config/locate.js';
import type { RedisConnection } from '../redis/connect.js';
import { connectionOptionsFrom } from '../redis/from-config.js';
import type { ConnectionOptions, HostPort } from '../redis/options.js';
import { TENANT_COMMANDS } from './command-names.js';
import { JsonLogOutput, type LogFormat } from './log-format.js';
import { columnsFromEnv, loadTableRenderer, Output, type CliStreams } from './output.js';

/** Options every command accepts (see `cachectl --help`). */
export interface GlobalOptions {
  redisUrl?: string;
  cluster?: boolean;
  sentinel?: HostPort[];
  sentinelName?: string;
  tlsCa?: string;
  tlsInsecure?: boolean;
  connectTimeout?: number;
  commandTimeout?: number;
  config?: string;
  /** `--context <name>` (or CACHECTL_CONTEXT): a named server of the config file. */
  context?: string;
  /** Where `--redis-url`, `--config` and `--context` came from (commander's value sources). */
  sources?: { redisUrl?: string | undefined; config?: string | undefined; context?: string | undefined };
  /** `--tenant <id>`: restrict the command to keys under `tenant:<id>:`. */
  tenant?: string;
  json?: boolean;
  /** `-o wide` (every column, never fitted to the terminal) or `-o json` (same as --json). */
  output?: 'wide' | 'json';
  color?: boolean;
  quiet?: boolean;
}

export interface CliEnvironment {
  streams: CliStreams;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on the first Ctrl-C: long operations stop after the batch in hand. */
  signal: AbortSignal;
}

export class CliContext {
  private globals: GlobalOptions = {};
  private outputInstance: Output | undefined;
  private configInstance: CachectlConfig | undefined;
  private configLoader: typeof loadConfig | undefined;
  private connectionPromise: Promise<RedisConnection> | undefined;

  /** The command being run (`queues inspect`) and its own options, once parsed. */
  command: { path: string; options: Record<string, unknown> } | undefined;

  /** `--log-format` as read from the command line before parsing (so usage errors follow it too). */
  logFormat: LogFormat | undefined;

  /** What the process should exit with when the command returns normally. */
  exitCode: number = 0;

  constructor(readonly environment: CliEnvironment) {}

  /** Raise the exit code (a later, lower code never hides an earlier failure). */
  fail(code: number): void {
    if (code > this.exitCode) this.exitCode = code;
  }

  get env(): NodeJS.ProcessEnv {
    return this.environment.env;
  }

  get signal(): AbortSignal {
    return this.environment.signal;
  }

  /** Called once the command line is parsed. */
  init(globals: GlobalOptions): void {
    this.globals = globals;
    this.outputInstance = undefined;
  }

  /** The global options; in a tenant-scoped command, `tenant` includes the context's (config loaded). */
  get options(): Readonly<GlobalOptions> {
    const top = this.command?.path.split(' ')[0];
    if (this.globals.tenant === undefined && !this.configInstance && top !== undefined && TENANT_COMMANDS.has(top)) this.config();
    return this.globals;
  }

  get output(): Output {
    if (!this.outputInstance) {
      const { streams, env } = this.environment;
      const noColor = this.globals.color === false || (env.NO_COLOR !== undefined && env.NO_COLOR !== '');
      const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0';
      const options = {
        json: this.globals.json === true || this.globals.output === 'json',
        quiet: this.globals.quiet === true,
        color: !noColor && (forced || streams.stdout.isTTY === true),
        fit: this.globals.output !== 'wide',
        columns: columnsFromEnv(env),
      };
      const logFormat = (this.command?.options.logFormat as LogFormat | undefined) ?? this.logFormat;
      this.outputInstance = logFormat === 'json' ? new JsonLogOutput(streams, options, this.command?.path) : new Output(streams, options);
    }
    return this.outputInstance;
  }

  /**
   * Called once the command line is parsed, before the command runs: loads the table renderer,
   * and the config validator when this run needs it (a config file, a context, or settings only
   * the schema can check).
   */
  async prepare(): Promise<void> {
    await loadTableRenderer();
    if (!this.configLoader && !canSkipSchema(this.configOptions())) this.configLoader = (await import('../config/load.js')).loadConfig;
  }

  /** The configuration (flags > env > file > defaults), loaded and validated once. */
  config(): CachectlConfig {
    if (!this.configInstance) {
      const options = this.configOptions();
      const loaded = defaultsOnlyConfig(options) ?? this.configLoader?.(options);
      if (!loaded) throw new Error('the configuration was read before the command line was prepared');
      this.configInstance = loaded;
      // A context's tenant restricts tenant-scoped commands as --tenant does (the flag wins).
      const g = this.globals;
      const tenant = loaded.context?.tenant;
      if (tenant !== undefined && g.tenant === undefined) this.globals = { ...g, tenant };
    }
    return this.configInstance;
  }

  private configOptions(): LoadConfigOptions {
    const g = this.globals;
    const fromEnv = (name: 'redisUrl' | 'config' | 'context') => g.sources?.[name] === 'env';
    return {
      ...this.lookup(),
      context: g.context ?? (this.env.CACHECTL_CONTEXT || undefined),
      contextFromEnv: g.context === undefined || fromEnv('context'),
      env: this.env,
      overrides: {
        redis: {
          // REDIS_URL (through commander's env) ranks below a context: loadConfig reads it itself.
          url: fromEnv('redisUrl') ? undefined : g.redisUrl,
          cluster: g.cluster,
          sentinels: g.sentinel?.map((s) => `${s.host}:${s.port}`),
          sentinelName: g.sentinelName,
          connectTimeoutMs: g.connectTimeout,
          commandTimeoutMs: g.commandTimeout,
          ...(g.tlsCa !== undefined || g.tlsInsecure !== undefined ? { tls: { ca: g.tlsCa, insecure: g.tlsInsecure ?? false } } : {}),
        },
      },
    };
  }

  /** Where the config file was found (or not): without reading it, so a broken file can be named. */
  configLocation(): ConfigLocation {
    const { file, fileFromEnv, cwd } = this.lookup();
    return locateConfig({ file, fromEnv: fileFromEnv === true, cwd: cwd!, env: this.env });
  }

  private lookup(): Pick<LoadConfigOptions, 'file' | 'fileFromEnv' | 'cwd'> {
    const g = this.globals;
    return {
      file: g.config ?? (this.env.CACHECTL_CONFIG || undefined),
      fileFromEnv: g.config === undefined || g.sources?.config === 'env',
      cwd: this.environment.cwd,
    };
  }

  /** The server connection, opened on first use and closed by `close()`. */
  connection(): Promise<RedisConnection> {
    if (!this.connectionPromise) {
      const options = connectionOptionsFrom(this.config());
      this.warnInsecure(options);
      // ioredis loads with the first connection: --help, --version and usage errors never pay for it.
      this.connectionPromise = import('../redis/connect.js').then(({ connect }) => connect(options));
    }
    return this.connectionPromise;
  }

  /** Every run that skips certificate checks says so (also from the config file, also with --quiet). */
  private warnInsecure(options: ConnectionOptions): void {
    if (!options.tlsInsecure) return;
    const tls = /^(rediss|valkeys):/i.test((options.url ?? '').trim());
    if (tls || (options.sentinels?.length ?? 0) > 0) {
      this.output.warn("--tls-insecure: the server's certificate is not verified; anyone on the path can read and change this connection");
    }
  }

  /**
   * Under PM2 (and in ssh sessions) stdin is a pipe nobody closes, and on Node 20 any ESM import of
   * `node:process` opens it; an idle open stdin keeps the process alive after the work is done, so
   * PM2 would show a finished run as `online` forever. Commands that never read stdin unref it.
   */
  releaseIdleStdin(): void {
    const stdin = this.environment.streams.stdin as { isTTY?: boolean; unref?: () => void };
    if (!stdin.isTTY) stdin.unref?.();
  }

  async close(): Promise<void> {
    const pending = this.connectionPromise;
    this.connectionPromise = undefined;
    if (!pending) return;
    try {
      await (await pending).close();
    } catch {
      // a failed connect has nothing to close
    }
  }
}
