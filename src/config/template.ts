/**
 * Key-family templates: `tenant:{tenant}:mapping:conv:{conversationId}`.
 *
 * Grammar: literal text, `{name}` placeholders (name = [A-Za-z_][A-Za-z0-9_]*), `{{` / `}}` for a
 * literal brace (cluster hash tags), and an optional single trailing `*` meaning "and anything
 * after" (a prefix family such as `context:{storyId}*`).
 */

export type TemplatePart = { kind: 'literal'; text: string } | { kind: 'placeholder'; name: string };

export interface ParsedTemplate {
  source: string;
  parts: TemplatePart[];
  /** Placeholder names in order of appearance, without repeats. */
  placeholders: string[];
  /** True when the template ends with `*` (matches any suffix). */
  prefix: boolean;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parse a template; throws `Error` with a precise reason (callers wrap it with the field path). */
export function parseTemplate(source: string): ParsedTemplate {
  if (source.length === 0) throw new Error('template is empty');
  let body = source;
  let prefix = false;
  if (body.endsWith('*') && !body.endsWith('\\*')) {
    prefix = true;
    body = body.slice(0, -1);
  }
  const parts: TemplatePart[] = [];
  let literal = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    const next = body[i + 1];
    if ((ch === '{' && next === '{') || (ch === '}' && next === '}')) {
      literal += ch;
      i++;
    } else if (ch === '{') {
      const end = body.indexOf('}', i + 1);
      if (end === -1) throw new Error(`unclosed "{" at position ${i}`);
      const name = body.slice(i + 1, end);
      if (!NAME.test(name)) throw new Error(`invalid placeholder name "{${name}}"`);
      if (literal) parts.push({ kind: 'literal', text: literal });
      literal = '';
      parts.push({ kind: 'placeholder', name });
      i = end;
    } else if (ch === '}') {
      throw new Error(`unmatched "}" at position ${i} (write "}}" for a literal brace)`);
    } else if (ch === '*' || ch === '?' || ch === '[' || ch === ']' || ch === '\\') {
      throw new Error(`"${ch}" is only allowed as a single trailing "*"`);
    } else {
      literal += ch;
    }
  }
  if (literal) parts.push({ kind: 'literal', text: literal });
  for (let i = 1; i < parts.length; i++) {
    if (parts[i]!.kind === 'placeholder' && parts[i - 1]!.kind === 'placeholder') {
      throw new Error('two placeholders must be separated by literal text');
    }
  }
  if (!parts.some((p) => p.kind === 'literal')) {
    throw new Error('a template needs literal text (a bare placeholder would match every key)');
  }
  const placeholders = [...new Set(parts.flatMap((p) => (p.kind === 'placeholder' ? [p.name] : [])))];
  return { source, parts, placeholders, prefix };
}
