/**
 * The audit log: one JSON line per destructive run (dry runs included) in `<logs>/audit.log`. It
 * records what was asked and what happened — never key values, never secrets. The file is opened
 * for append without following a symbolic link planted in its place.
 */
import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { redact } from '../../redact.js';

export interface AuditEntry {
  /** The command as the operator would name it (`invalidate`, `clear-all`, `queues clean`…). */
  command: string;
  /** Families, patterns or queues acted on (labels only: no placeholder values). */
  targets: string[];
  dryRun: boolean;
  /** Outcome: counts and status. */
  result: Record<string, unknown>;
  /** Server the run talked to (already redacted by the connection). */
  server: string;
}

export interface AuditRecord extends AuditEntry {
  time: string;
  host: string;
  user: string;
  pid: number;
}

export const AUDIT_FILE = 'audit.log';

/** Append one line to `<dir>/audit.log`, creating the folder if needed. Returns the record. */
export async function appendAudit(dir: string, entry: AuditEntry): Promise<AuditRecord> {
  const record: AuditRecord = {
    time: new Date().toISOString(),
    host: os.hostname(),
    user: safeUser(),
    pid: process.pid,
    ...entry,
  };
  await appendLine(dir, AUDIT_FILE, redact(JSON.stringify(record)));
  return record;
}

/** Append one line to `<dir>/<name>` (O_APPEND, never through a symbolic link), creating the folder. */
export async function appendLine(dir: string, name: string, line: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  const handle = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o640);
  try {
    await handle.write(`${line}\n`);
  } finally {
    await handle.close();
  }
  return file;
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
