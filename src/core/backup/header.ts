/**
 * The header line of a backup file, checked field by field before anything is written: types,
 * length caps, no control characters (they would reach terminals and logs).
 */
import { z } from 'zod';
import type { BackupHeader } from './format.js';

const text = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'control characters');

const sourceSchema = z.object({
  target: text(512),
  mode: text(32),
  flavor: text(32),
  version: text(64),
  redisVersion: text(64),
  valkeyVersion: text(64).nullable(),
  masters: z.array(text(256)).max(10_000),
});

const headerSchema = z.object({
  format: z.number().int().min(1),
  cachectl: text(64),
  created: text(64).refine((value) => !Number.isNaN(Date.parse(value)), 'not a date'),
  command: text(128),
  sourceMode: z.enum(['scan', 'capture']),
  selection: z.array(text(4096)).max(10_000),
  source: sourceSchema,
  rdbVersion: z.number().int().min(0).max(0xffff).nullable(),
});

/** The header's format version, if it has one (checked before the rest: newer files get their own message). */
export function headerFormat(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const format = (value as { format?: unknown }).format;
  return typeof format === 'number' && Number.isInteger(format) ? format : undefined;
}

/** The validated header, or a description of the first problem. */
export function parseHeader(value: unknown): { header: BackupHeader } | { problem: string } {
  const parsed = headerSchema.safeParse(value);
  if (parsed.success) return { header: parsed.data };
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? issue.path.join('.') : 'the header';
  return { problem: `header field ${where}: ${issue.message}` };
}
