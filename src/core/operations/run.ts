/**
 * What every clearing operation of the library shares: the context it works in, its options, and
 * one function that runs a plan through the safety lifecycle (assess, preflight, execute, audit).
 */
import path from 'node:path';
import type { CachectlConfig } from '../../config/load.js';
import type { RedisConnection } from '../../redis/connect.js';
import type { ExecuteOptions } from '../keyspace/execute.js';
import type { RunSummary } from '../keyspace/summary.js';
import { runLifecycle, type LifecycleOptions, type Operation, type Outcome } from '../safety/lifecycle.js';
import { keyspaceOperation, type KeyspaceSpec } from './keyspace.js';

/** What an operation works with: a connection, the resolved configuration, and where it audits. */
export interface OperationContext {
  connection: RedisConnection;
  config: CachectlConfig;
  /**
   * Folder of the audit log. Undefined: `config.logs.dir` resolved against the working directory.
   * `false`: no audit line (the caller keeps its own record).
   */
  auditDir?: string | false;
}

/** Options of every clearing operation. */
export interface ClearOptions extends ExecuteOptions, Omit<LifecycleOptions, 'backup'> {
  /** Scan `tenant:*` namespaces instead of enumerating the configured tenants (finds unlisted ones). */
  scanTenants?: boolean;
  /** Keep exactly the deleted keys in this file (`.gz`: compressed), for `restore`. */
  backup?: string | { file: string; overwrite?: boolean };
}

/** The audit folder of a context (`false` → none). */
export function auditDirOf(ctx: OperationContext): string | undefined {
  if (ctx.auditDir === false) return undefined;
  return ctx.auditDir ?? path.resolve(ctx.config.logs.dir);
}

/** Run a planned keyspace operation through the lifecycle. */
export async function runPlan(ctx: OperationContext, spec: KeyspaceSpec, options: ClearOptions = {}): Promise<Outcome<RunSummary>> {
  return runOperation(ctx, (engine) => keyspaceOperation(ctx.connection, ctx.config, spec, engine), options);
}

/** Split clearing options into the engine's and the lifecycle's, build the operation, run it. */
export async function runOperation<R extends object>(
  ctx: OperationContext,
  build: (engine: ExecuteOptions & { backup?: boolean }) => Operation<R>,
  options: ClearOptions = {},
): Promise<Outcome<R>> {
  const { dryRun, force, maxKeys, confirm, backup, scanTenants: _scan, ...engine } = options;
  const file = typeof backup === 'string' ? { file: path.resolve(backup) } : backup ? { ...backup, file: path.resolve(backup.file) } : undefined;
  const op = build({ ...engine, ...(file ? { backup: true } : {}) });
  return runLifecycle({ connection: ctx.connection, config: ctx.config, auditDir: auditDirOf(ctx) }, op, {
    ...(dryRun !== undefined ? { dryRun } : {}),
    ...(force !== undefined ? { force } : {}),
    ...(maxKeys !== undefined ? { maxKeys } : {}),
    ...(confirm ? { confirm } : {}),
    ...(file ? { backup: file } : {}),
  });
}

/** Plan options from clearing options. */
export function planOptions(options: Pick<ClearOptions, 'tenant' | 'scanTenants'>): { tenant?: string; scanTenants?: boolean } {
  return { ...(options.tenant !== undefined ? { tenant: options.tenant } : {}), ...(options.scanTenants ? { scanTenants: true } : {}) };
}
