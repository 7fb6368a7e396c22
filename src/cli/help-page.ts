/**
 * Help without the program: `cachectl`, `cachectl --help`, `cachectl help <command…>` and
 * `cachectl <command…> --help` are printed from pages written at build time
 * (dist/cli/help-pages.json), laid out here for the terminal's width. This module imports nothing
 * of cachectl and no package: the executable loads it alone, before anything else.
 *
 * A page is the help exactly as the real command prints it, with each piece whose layout depends
 * on the width (the description paragraph, each term and its description) left as a marker.
 */
import { readFileSync } from 'node:fs';

/** A term and its description, as in an option or command list. */
export interface HelpItem {
  term: string;
  /** The width every term of the page is padded to. */
  termWidth: number;
  text: string;
}

/** A paragraph wrapped to the full width. */
export interface HelpParagraph {
  paragraph: string;
}

export interface HelpPage {
  /** Everything the command prints for `--help`, with `\0<n>\0` where `pieces[n]` goes. */
  text: string;
  pieces: Array<HelpItem | HelpParagraph>;
  /** Command names and aliases one level below, to the key of their page. */
  children: Record<string, string>;
}

export interface HelpPagesFile {
  version: string;
  /** By command path: '' for the program, 'queues inspect' for a subcommand. */
  pages: Record<string, HelpPage>;
}

/** Below this many columns a description is not wrapped at all (as commander does). */
const MIN_WRAP_WIDTH = 40;
const INDENT = '  ';
const GAP = '  ';
const PIECE = /\0(\d+)\0/g;

/**
 * The help `args` asks for, laid out for `columns` (80 when not a terminal), or undefined when
 * the command line asks for anything else (or names a command this build does not know): the
 * program then handles it.
 */
export function helpText(args: readonly string[], columns?: number, file?: HelpPagesFile): string | undefined {
  const words = helpWords(args);
  if (words === undefined) return undefined;
  const pages = file ?? readPages();
  if (pages === undefined) return undefined;
  let key = '';
  for (const word of words) {
    const next = pages.pages[key]?.children[word];
    if (next === undefined) return undefined;
    key = next;
  }
  const page = pages.pages[key];
  return page === undefined ? undefined : layOut(page, columns ?? 80);
}

const isWord = (arg: string) => arg.length > 0 && !arg.startsWith('-');

/**
 * `cachectl help <command…>` is `cachectl <command…> --help`: the help of that (sub)command, and an
 * unknown command is an error (exit 2), as with --help. Other lines are returned as they are.
 */
export function helpAsFlag(args: readonly string[]): string[] {
  return args[0] === 'help' && args.slice(1).every(isWord) ? [...args.slice(1), '--help'] : [...args];
}

/**
 * The command words of a plain help request: none, `--help`, `help <command…>`,
 * `<command…> --help`. Anything with another option in it is the program's to parse.
 */
function helpWords(given: readonly string[]): string[] | undefined {
  if (given.length === 0) return [];
  const args = helpAsFlag(given);
  const last = args[args.length - 1];
  const words = args.slice(0, -1);
  return (last === '--help' || last === '-h') && words.every(isWord) ? words : undefined;
}

function readPages(): HelpPagesFile | undefined {
  try {
    return JSON.parse(readFileSync(new URL('./help-pages.json', import.meta.url), 'utf8')) as HelpPagesFile;
  } catch {
    return undefined;
  }
}

/** The page with its pieces laid out for `width` columns. */
export function layOut(page: HelpPage, width: number): string {
  return page.text.replace(PIECE, (_, n: string) => {
    const piece = page.pieces[Number(n)]!;
    return 'paragraph' in piece ? wrap(piece.paragraph, width) : item(piece, width);
  });
}

/** `  term    description`, the description wrapped beside the terms and indented under itself. */
function item({ term, termWidth, text }: HelpItem, width: number): string {
  if (text === '') return INDENT + term;
  const padded = term + ' '.repeat(Math.max(0, termWidth - visibleLength(term)));
  const room = width - termWidth - GAP.length - INDENT.length;
  // A description with its own indented lines keeps its layout.
  const keepsLayout = room < MIN_WRAP_WIDTH || /\n[^\S\r\n]/.test(text);
  const description = keepsLayout
    ? text
    : wrap(text, room)
        .split('\n')
        .join(`\n${' '.repeat(termWidth + GAP.length)}`);
  return (INDENT + padded + GAP + description).split('\n').join(`\n${INDENT}`);
}

/** Words filled into lines of at most `width`, existing line breaks kept; narrower than 40: as is. */
function wrap(text: string, width: number): string {
  if (width < MIN_WRAP_WIDTH) return text;
  return text
    .split(/\r?\n/)
    .map((line) => {
      const words = line.match(/\s*\S+/g);
      if (words === null) return '';
      const lines: string[] = [];
      let current = words[0]!;
      let used = visibleLength(current);
      for (const word of words.slice(1)) {
        const length = visibleLength(word);
        if (used + length <= width) {
          current += word;
          used += length;
        } else {
          lines.push(current);
          current = word.trimStart();
          used = visibleLength(current);
        }
      }
      lines.push(current);
      return lines.join('\n');
    })
    .join('\n');
}

/** Length without colour codes. */
function visibleLength(text: string): number {
  return text.replace(/\x1b\[\d*(;\d*)*m/g, '').length;
}
