/**
 * The zod-free half of loading the configuration: where the config file is, and how validated
 * settings become the resolved configuration. A run without a config file needs nothing more.
 */
import path from 'node:path';
import { CONFIG_FILE_NAME, DEFAULT_TENANT } from './defaults.js';
import type { FamilyConfig, ParsedConfig } from './schema.js';
import { parseTemplate, type ParsedTemplate } from './template.js';

export interface Family extends FamilyConfig {
  name: string;
  parsed: ParsedTemplate;
}

/** The resolved configuration every layer below the CLI works with. */
export interface CachectlConfig extends Omit<ParsedConfig, 'families' | 'invalidation'> {
  families: Record<string, Family>;
  /** `invalidation` with its streams resolved (under `namespace` unless configured). */
  invalidation: ParsedConfig['invalidation'] & { stream: string; deadLetterStream: string };
  /** REDIS_PASSWORD, when set; never printed. */
  password: string | undefined;
  /** The file the settings came from, if any. */
  source: string | undefined;
}

/** The config file a run reads: the one given (must exist) or ./cachectl.config.json (optional). */
export function configFileTarget(file: string | undefined, cwd: string): { target: string; explicit: boolean } {
  const explicit = file !== undefined && file !== '';
  return { target: explicit ? path.resolve(cwd, file) : path.join(cwd, CONFIG_FILE_NAME), explicit };
}

export function finish(data: ParsedConfig, password: string | undefined, source: string | undefined): CachectlConfig {
  // No prototype: a family named toString, constructor or __proto__ is just unknown.
  const families = Object.create(null) as Record<string, Family>;
  for (const [name, family] of Object.entries(data.families)) {
    if (family === false) continue;
    families[name] = { ...family, name, parsed: parseTemplate(family.template) };
  }
  const tenants = [...new Set([...data.tenants, DEFAULT_TENANT])];
  const invalidation = {
    ...data.invalidation,
    stream: data.invalidation.stream ?? `${data.namespace}:invalidations`,
    deadLetterStream: data.invalidation.deadLetterStream ?? `${data.namespace}:invalidations:dead`,
  };
  return { ...data, invalidation, tenants, families, password, source };
}
