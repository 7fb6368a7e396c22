// A strict parser for the Prometheus text exposition format (0.0.4), as node_exporter's textfile
// collector reads it. Every line must be a HELP, TYPE, comment or sample line; names and labels
// must follow the naming rules; label values and HELP text may only use the defined escapes; TYPE
// must come before the samples of its metric; a metric's lines form one group; no series twice;
// no timestamps (the textfile collector rejects them). Throws on the first violation, naming it.

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  type: string | undefined;
  help: string | undefined;
  samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Inf|inf|NaN)$/;

export class PromParseError extends Error {}

/** Parse `text`; throws `PromParseError` with the line number on anything the format forbids. */
export function parsePrometheus(text: string): Map<string, PromFamily> {
  if (text.length > 0 && !text.endsWith('\n')) throw new PromParseError('the text must end with a line feed');
  const families = new Map<string, PromFamily>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: string | undefined;
  const lines = text.split('\n').slice(0, -1);
  lines.forEach((line, index) => {
    const fail = (why: string): never => {
      throw new PromParseError(`line ${index + 1}: ${why}: ${JSON.stringify(line)}`);
    };
    const enter = (name: string): PromFamily => {
      if (current !== name) {
        if (closed.has(name)) fail(`lines of metric ${name} are not in one group`);
        if (current !== undefined) closed.add(current);
        current = name;
      }
      let family = families.get(name);
      if (!family) {
        family = { name, type: undefined, help: undefined, samples: [] };
        families.set(name, family);
      }
      return family;
    };
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!match) return; // a plain comment
      const [, keyword, name, rest = ''] = match;
      if (!METRIC_NAME.test(name!)) fail('invalid metric name');
      const family = enter(name!);
      if (keyword === 'HELP') {
        if (family.help !== undefined) fail('second HELP line');
        family.help = unescape(rest, false, fail);
      } else {
        if (family.type !== undefined) fail('second TYPE line');
        if (family.samples.length > 0) fail('TYPE after samples');
        if (!TYPES.has(rest)) fail(`unknown type "${rest}"`);
        family.type = rest;
      }
      return;
    }
    const sample = parseSample(line, fail);
    const family = enter(familyOf(sample.name, families));
    const id = `${sample.name}{${Object.entries(sample.labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}}`;
    if (series.has(id)) fail(`duplicate series ${id}`);
    series.add(id);
    family.samples.push(sample);
  });
  return families;
}

/** histogram/summary samples carry suffixes; everything else is named like its family. */
function familyOf(name: string, families: Map<string, PromFamily>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.endsWith(suffix) ? name.slice(0, -suffix.length) : undefined;
    const type = base ? families.get(base)?.type : undefined;
    if (base && (type === 'histogram' || type === 'summary')) return base;
  }
  return name;
}

function parseSample(line: string, fail: (why: string) => never): PromSample {
  let i: number;
  const nameMatch = /^[^{\s]+/.exec(line);
  if (!nameMatch) fail('no metric name');
  const name = nameMatch![0];
  if (!METRIC_NAME.test(name)) fail('invalid metric name');
  i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const labelMatch = /^[^=\s]+/.exec(line.slice(i));
      if (!labelMatch) fail('bad label');
      const label = labelMatch![0];
      if (!LABEL_NAME.test(label) || label.startsWith('__')) fail(`invalid label name "${label}"`);
      if (label in labels) fail(`label "${label}" given twice`);
      i += label.length;
      if (line[i] !== '=' || line[i + 1] !== '"') fail('expected =" after a label name');
      i += 2;
      let raw = '';
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\') {
          raw += line.slice(i, i + 2);
          i += 2;
        } else raw += line[i++];
      }
      if (line[i] !== '"') fail('unterminated label value');
      i++;
      labels[label] = unescape(raw, true, fail);
      if (line[i] === ',') i++;
      else if (line[i] !== '}') fail('expected , or } after a label value');
    }
    i++;
  }
  const rest = line.slice(i);
  const parts = /^ (\S+)(?: (\S+))?$/.exec(rest);
  if (!parts) fail('expected one space, then the value');
  if (parts![2] !== undefined) fail('timestamps are not accepted by the textfile collector');
  if (!FLOAT.test(parts![1]!)) fail(`invalid value "${parts![1]}"`);
  const text = parts![1]!.replace(/^([+-]?)inf$/i, '$1Infinity');
  return { name, labels, value: Number(text) };
}

/** Undo the format's escapes: `\\` and `\n` everywhere, `\"` in label values only. */
function unescape(raw: string, labelValue: boolean, fail: (why: string) => never): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch !== '\\') {
      if (ch === '\n') fail('raw line feed');
      out += ch;
      continue;
    }
    const next = raw[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else if (next === '"' && labelValue) out += '"';
    else fail(`invalid escape "\\${next ?? ''}"`);
  }
  return out;
}

/** The value of one series, or undefined. */
export function promValue(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.get(name);
  const sample = family?.samples.find(
    (s) => Object.keys(labels).length === Object.keys(s.labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return sample?.value;
}
