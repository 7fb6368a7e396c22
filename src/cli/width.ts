/**
 * Text measured in terminal cells: wide East Asian characters and emoji take two cells, combining
 * marks and colour codes none. Used to fit tables, wrapped lines and the progress line to the width.
 */

/** Colour (SGR) sequences: the only escape sequences our output carries. */
const SGR = /\x1b\[[0-9;]*m/g;
const SGR_AT_START = /^\x1b\[[0-9;]*m/;
const ZERO_WIDTH = /^(?:\p{Mn}|\p{Me}|\p{Cf})+$/u;
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;
/** Text presentation unless followed by U+FE0F (e.g. "©", "↔"): one cell. */
const EMOJI_PRESENTATION = /\p{Emoji_Presentation}|\ufe0f/u;

let segmenter: Intl.Segmenter | undefined;

/** The graphemes of `text` (the segmenter is made on first use: creating one loads ICU data, ~10 ms). */
function graphemes(text: string): Intl.Segments {
  segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  return segmenter.segment(text);
}

/** Text without colour codes. */
export function stripColour(text: string): string {
  return text.replace(SGR, '');
}

/** Cells one code point takes when it starts a grapheme (East Asian Wide and Fullwidth: 2). */
function codePointWidth(cp: number): number {
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Cells one grapheme (a user-perceived character) takes. */
function graphemeWidth(g: string): number {
  if (ZERO_WIDTH.test(g)) return 0;
  if (EMOJI.test(g) && (EMOJI_PRESENTATION.test(g) || g.length > 2)) return 2;
  return codePointWidth(g.codePointAt(0)!);
}

/** Cells `text` takes on a terminal (colour codes take none; one line assumed). */
export function cellWidth(text: string): number {
  let width = 0;
  const plain = /[^\x20-\x7e]/.test(text) ? stripColour(text) : text;
  if (!/[^\x20-\x7e]/.test(plain)) return plain.length;
  for (const { segment } of graphemes(plain)) width += graphemeWidth(segment);
  return width;
}

/** Colour codes and graphemes of `text`, in order. */
function* pieces(text: string): Generator<{ text: string; width: number }> {
  let rest = text;
  while (rest.length > 0) {
    const sgr = SGR_AT_START.exec(rest);
    if (sgr) {
      yield { text: sgr[0], width: 0 };
      rest = rest.slice(sgr[0].length);
      continue;
    }
    const next = rest.indexOf('\x1b', 1);
    const chunk = next === -1 ? rest : rest.slice(0, next);
    for (const { segment } of graphemes(chunk)) yield { text: segment, width: graphemeWidth(segment) };
    rest = rest.slice(chunk.length);
  }
}

/** The longest start of `text` that fits `max` cells, and how many characters of `text` it took. */
function cut(text: string, max: number): { head: string; taken: number; coloured: boolean } {
  let head = '';
  let used = 0;
  let coloured = false;
  for (const piece of pieces(text)) {
    if (used + piece.width > max) break;
    if (piece.width === 0 && piece.text.startsWith('\x1b')) coloured = true;
    head += piece.text;
    used += piece.width;
  }
  return { head, taken: head.length, coloured };
}

/** The longest start of `text` that fits `max` cells (colour codes kept, a reset added if cut). */
export function sliceCells(text: string, max: number): string {
  const { head, taken, coloured } = cut(text, max);
  return coloured && taken < text.length ? `${head}\x1b[0m` : head;
}

/** The longest end of plain `text` that fits `max` cells. */
function sliceCellsFromEnd(text: string, max: number): string {
  const parts = [...graphemes(text)].map((s) => s.segment);
  let out = '';
  let used = 0;
  for (let i = parts.length - 1; i >= 0; i--) {
    const w = graphemeWidth(parts[i]!);
    if (used + w > max) break;
    out = parts[i]! + out;
    used += w;
  }
  return out;
}

/** `text` cut to `max` cells with "…" at the end when it does not fit. */
export function truncateEnd(text: string, max: number): string {
  if (cellWidth(text) <= max) return text;
  if (max <= 0) return '';
  return `${sliceCells(text, max - 1)}…`;
}

/** `text` cut to `max` cells with "…" in the middle (`bull:ema…:wait`): both ends stay readable. */
export function truncateMiddle(text: string, max: number): string {
  if (cellWidth(text) <= max) return text;
  if (max <= 1) return max === 1 ? '…' : '';
  const plain = stripColour(text);
  const head = sliceCells(plain, Math.ceil((max - 1) / 2));
  const tail = sliceCellsFromEnd(plain, max - 1 - cellWidth(head));
  return `${head}…${tail}`;
}

/**
 * `text` wrapped at spaces to lines of at most `width` cells; lines after the first start with
 * `indent` spaces. Words longer than a line are cut. Newlines in `text` are kept.
 */
export function wrapCells(text: string, width: number, indent = 0): string[] {
  const pad = ' '.repeat(Math.min(indent, Math.floor(width / 2)));
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    let used = 0;
    let fresh = true;
    const next = () => {
      lines.push(line);
      line = pad;
      used = pad.length;
      fresh = true;
    };
    for (const word of paragraph.split(' ')) {
      const w = cellWidth(word);
      const sep = fresh ? 0 : 1;
      if (used + sep + w <= width) {
        line += sep ? ` ${word}` : word;
        used += sep + w;
        fresh = false;
        continue;
      }
      if (!fresh) next();
      let rest = word;
      while (used + cellWidth(rest) > width) {
        const { head, taken } = cut(rest, width - used);
        if (taken === 0 && used > 0 && line.trim() === '') {
          // Not even one character fits after the indent: this line goes without it.
          line = '';
          used = 0;
          continue;
        }
        if (taken === 0) break;
        line += head;
        next();
        rest = rest.slice(taken);
      }
      line += rest;
      used += cellWidth(rest);
      fresh = false;
    }
    lines.push(line);
  }
  return lines;
}
