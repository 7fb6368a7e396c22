/**
 * Fitting a table to the terminal: which columns to show and how wide the shortenable ones may be.
 * Each table names its shortenable columns (names, cut in the middle) and the order in which
 * columns are left out when shortening is not enough — the least important first.
 */
import { cellWidth, stripColour, truncateEnd, truncateMiddle } from './width.js';

/** How a table gives way on a narrow terminal (column indexes into the table's head). */
export interface TableFit {
  /** Columns whose cells may be shortened (middle ellipsis), e.g. key and queue names. */
  shrink?: number[];
  /** Columns to leave out, least important first, when shortening is not enough. */
  drop?: number[];
  /** Shorter headings used when the table does not fit (index → heading). */
  short?: Record<number, string>;
}

export interface ColumnPlan {
  /** Indexes of the columns to show, in order. */
  shown: number[];
  /** Width in cells of each shown column's content (same order as `shown`). */
  widths: number[];
}

/** Shortened names keep at least this many cells while columns can still be left out. */
export const SOFT_MIN = 24;
/** ... and at least this many when nothing else can give way. */
export const HARD_MIN = 8;

/** Cells a table with these content widths takes: one space of padding each side, borders. */
export function tableWidth(widths: number[]): number {
  return widths.reduce((sum, w) => sum + w + 2, 0) + widths.length + 1;
}

/**
 * Plan the columns of a table whose columns need `natural` cells (heading included) to fit in
 * `budget` cells. `minimum[i]` is the narrowest a shrinkable column may get (its heading).
 */
export function planColumns(natural: number[], minimum: number[], budget: number, fit: TableFit): ColumnPlan {
  const shrink = new Set(fit.shrink ?? []);
  const shown = natural.map((_, i) => i);
  const attempt = (floor: number): ColumnPlan | undefined => {
    const widths = shown.map((i) => natural[i]!);
    let excess = tableWidth(widths) - budget;
    // Take from the widest shrinkable column first, one cell at a time, down to the floor.
    while (excess > 0) {
      let widest = -1;
      for (let k = 0; k < shown.length; k++) {
        const i = shown[k]!;
        const lowest = Math.max(floor, minimum[i]!);
        if (shrink.has(i) && widths[k]! > lowest && (widest === -1 || widths[k]! > widths[widest]!)) widest = k;
      }
      if (widest === -1) return undefined;
      widths[widest]! -= 1;
      excess -= 1;
    }
    return { shown: [...shown], widths };
  };
  const soft = attempt(SOFT_MIN);
  if (soft) return soft;
  for (const column of fit.drop ?? []) {
    const at = shown.indexOf(column);
    if (at === -1 || shown.length <= 1) continue;
    shown.splice(at, 1);
    const plan = attempt(SOFT_MIN);
    if (plan) return plan;
  }
  return attempt(HARD_MIN) ?? { shown, widths: shown.map((i) => Math.min(natural[i]!, Math.max(HARD_MIN, minimum[i]!))) };
}

export interface FittedTable {
  head: string[];
  rows: string[][];
  align: Array<'left' | 'right'>;
  /** Headings of the columns left out. */
  hidden: string[];
}

/** The table as it fits in `budget` cells: columns left out, names shortened in the middle. */
export function fitTable(head: string[], rows: string[][], align: Array<'left' | 'right'>, budget: number, fit: TableFit): FittedTable {
  const natural = head.map((h, i) => Math.max(cellWidth(h), ...rows.map((r) => cellWidth(r[i] ?? ''))));
  if (tableWidth(natural) <= budget) return { head, rows, align, hidden: [] };
  const heads = head.map((h, i) => fit.short?.[i] ?? h);
  const needed = heads.map((h, i) => Math.max(cellWidth(h), ...rows.map((r) => cellWidth(r[i] ?? ''))));
  const plan = planColumns(
    needed,
    heads.map((h) => cellWidth(h)),
    budget,
    fit,
  );
  const shrink = new Set(fit.shrink ?? []);
  const cell = (text: string, k: number) => {
    const i = plan.shown[k]!;
    const w = plan.widths[k]!;
    if (cellWidth(text) <= w) return text;
    return shrink.has(i) ? truncateMiddle(text, w) : truncateEnd(text, w);
  };
  return {
    head: plan.shown.map((i, k) => cell(heads[i]!, k)),
    rows: rows.map((r) => plan.shown.map((i, k) => cell(r[i] ?? '', k))),
    align: plan.shown.map((i) => align[i] ?? 'left'),
    hidden: head.filter((_, i) => !plan.shown.includes(i)).map(stripColour),
  };
}
