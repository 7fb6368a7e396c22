/**
 * Write the help pages of a commander tree (see help-page.ts): each command prints its own help
 * once, through commander, with a help formatter that leaves a marker where the layout depends
 * on the terminal's width and keeps what goes there. Used by the build, and by the test that
 * proves the pages lay out exactly as the real commands print at any width.
 */
import type { Command, Help } from 'commander';
import type { HelpItem, HelpPage, HelpPagesFile, HelpParagraph } from './help-page.js';

export function helpPages(program: Command, version: string): HelpPagesFile {
  const pages: Record<string, HelpPage> = {};
  const visit = (command: Command, key: string) => {
    pages[key] = pageOf(command);
    for (const sub of command.commands) {
      const subKey = key === '' ? sub.name() : `${key} ${sub.name()}`;
      for (const name of [sub.name(), ...sub.aliases()]) pages[key]!.children[name] = subKey;
      visit(sub, subKey);
    }
  };
  visit(program, '');
  return { version, pages };
}

/** What `command --help` prints, pieces left as markers. The command is left as it was. */
function pageOf(command: Command): HelpPage {
  const pieces: Array<HelpItem | HelpParagraph> = [];
  const marker = (piece: HelpItem | HelpParagraph) => `\0${pieces.push(piece) - 1}\0`;
  const helper: Help = command.createHelp();
  helper.formatItem = (term, termWidth, text) => marker({ term, termWidth, text });
  helper.boxWrap = (paragraph) => marker({ paragraph });
  const output = command.configureOutput();
  let text = '';
  const shadow = command as Command & { createHelp: () => Help };
  shadow.createHelp = () => helper;
  command.configureOutput({ ...output, writeOut: (s) => (text += s), getOutHelpWidth: () => 80, getOutHasColors: () => false });
  try {
    command.outputHelp();
  } finally {
    Reflect.deleteProperty(shadow, 'createHelp');
    command.configureOutput(output);
  }
  return { text, pieces, children: {} };
}
