/**
 * The PM2 ecosystem file check: keys PM2 drops silently, cron apps that loop, bad cron
 * expressions (the lint itself lives in core/pm2/ecosystem.ts).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_ECOSYSTEM, loadEcosystem, lintEcosystem } from '../pm2/ecosystem.js';
import { fromFindings, verdict } from './check.js';
import type { CheckFinding, DoctorCheck } from './types.js';

export interface EcosystemCheckOptions {
  /** The file to lint; undefined = the default file when it exists; null = skip. */
  file: string | null | undefined;
  cwd: string;
  timezone: string;
  commands?: readonly string[] | undefined;
}

export async function ecosystemCheck(options: EcosystemCheckOptions): Promise<DoctorCheck> {
  if (options.file === null) return verdict('ecosystem', 'skip', 'not checked (--no-ecosystem)');
  const file = options.file ?? DEFAULT_ECOSYSTEM;
  const full = path.resolve(options.cwd, file);
  if (options.file === undefined && !existsSync(full)) {
    return verdict('ecosystem', 'skip', `no ${DEFAULT_ECOSYSTEM} in ${options.cwd}; pass --ecosystem <file> to check one`);
  }
  let eco;
  try {
    eco = await loadEcosystem(full, options.cwd);
  } catch (error) {
    const hint = (error as { hint?: string }).hint ?? 'fix the file so that PM2 can load it';
    return verdict('ecosystem', 'fail', (error as Error).message, hint);
  }
  const findings: CheckFinding[] = lintEcosystem(eco, { tz: options.timezone, ...(options.commands ? { commands: options.commands } : {}) }).map((f) => ({
    subject: f.app,
    status: f.level,
    message: f.message,
  }));
  return fromFindings('ecosystem', findings, {
    pass: `${path.relative(options.cwd, eco.file) || eco.file}: ${eco.apps.length} app(s), nothing PM2 would misread`,
    hint: 'PM2 ignores unknown keys without a word: fix the lines named above ("cachectl schedule" prints a correct cron app)',
  });
}
