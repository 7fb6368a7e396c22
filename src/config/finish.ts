/**
 * The zod-free half of loading the configuration: which config file a run reads, and how
 * validated settings become the resolved configuration. A run without a config file needs
 * nothing more.
 */
import type { SelectedContext } from './contexts.js';
import { DEFAULT_TENANT } from './defaults.js';
import type { LoadConfigOptions } from './load.js';
import { locateConfig, type ConfigLocation } from './locate.js';
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
  /** How the file was found (and where else cachectl looked); absent for in-memory configs. */
  location?: ConfigLocation;
  /** The context in use (`--context`, CACHECTL_CONTEXT or `currentContext`), if any. */
  context: SelectedContext | undefined;
}

/** Where the config file of a `loadConfig(options)` run is (the same lookup on every path). */
export function locateConfigFor(options: LoadConfigOptions): ConfigLocation {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const fromEnv = options.file === undefined ? Boolean(env.CACHECTL_CONFIG) : options.fileFromEnv === true;
  return locateConfig({ file: options.file ?? env.CACHECTL_CONFIG, fromEnv, cwd, env });
}

/** The context a `loadConfig(options)` run asks for by name, if any (`--context`, CACHECTL_CONTEXT). */
export function requestedContext(options: LoadConfigOptions): string | undefined {
  return options.context ?? ((options.env ?? process.env).CACHECTL_CONTEXT || undefined);
}

export function finish(data: ParsedConfig, password: string | undefined, source: string | undefined): Omit<CachectlConfig, 'context'> {
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
