/**
 * The Prometheus text exposition format (version 0.0.4), as node_exporter's textfile collector
 * reads it: one `# HELP` and one `# TYPE` line per metric, then its samples, label values escaped,
 * no timestamps (the collector rejects them), no duplicate series.
 */

export type MetricType = 'gauge' | 'counter';
export type Labels = Record<string, string | number>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Family {
  name: string;
  type: MetricType;
  help: string;
  samples: Map<string, number>;
}

/** Collects metric families and renders them; throws on names or series the format forbids. */
export class ExpositionWriter {
  private readonly families = new Map<string, Family>();

  /** Declare a metric (once) and add one sample to it. */
  add(name: string, type: MetricType, help: string, value: number, labels: Labels = {}): this {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name "${name}"`);
    if (type === 'counter' && !name.endsWith('_total')) throw new Error(`counter "${name}" must end in _total`);
    let family = this.families.get(name);
    if (!family) {
      family = { name, type, help, samples: new Map() };
      this.families.set(name, family);
    } else if (family.type !== type) {
      throw new Error(`metric "${name}" declared as ${family.type} and ${type}`);
    }
    const series = renderLabels(labels);
    if (family.samples.has(series)) throw new Error(`duplicate series ${name}${series}`);
    family.samples.set(series, value);
    return this;
  }

  /** The exposition text, families in the order they were first added; ends with a newline. */
  toString(): string {
    const lines: string[] = [];
    for (const family of this.families.values()) {
      lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
      lines.push(`# TYPE ${family.name} ${family.type}`);
      for (const [series, value] of family.samples) lines.push(`${family.name}${series} ${formatValue(value)}`);
    }
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
}

function renderLabels(labels: Labels): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return '';
  const parts = names.map((name) => {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`invalid label name "${name}"`);
    return `${name}="${escapeLabelValue(String(labels[name]))}"`;
  });
  return `{${parts.join(',')}}`;
}

/**
 * Label values: backslash, double quote and line feed are escaped as the format says; any other
 * control character is written as the text `\\xNN` (an escaped backslash), so a value from data
 * cannot reach a terminal that displays the scrape raw.
 */
export function escapeLabelValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, (ch) => `\\\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** HELP text: backslash and line feed are escaped. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Go-style float: integers plainly, NaN and ±Inf by name. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
