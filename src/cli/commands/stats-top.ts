/**
 * `stats --top N`: the biggest keys per family and of no family, and the size spread per family.
 */
import { formatCount, humanBytes } from '../../core/stats/format.js';
import type { SizeSpread, TopKeys } from '../../core/stats/types.js';
import type { Output } from '../output.js';

const n = formatCount;

/** Render `result.top` as two tables: the spread per group, then the biggest keys. */
export function printTopKeys(top: TopKeys, out: Output): void {
  const from = top.from === 'exact' ? 'every key measured' : 'among the sampled keys';
  const groups = [...top.families.map((f) => ({ name: f.family, spread: f.spread })), { name: '(no family)', spread: top.unknown.spread }];
  out.table(
    ['size (MEMORY USAGE)', 'measured', 'p50', 'p99', 'max'],
    groups.map((g) => [g.name, ...spreadCells(g.spread)]),
    { align: ['left', 'right', 'right', 'right', 'right'], fit: { shrink: [0], drop: [1] } },
  );
  const rows: string[][] = [];
  for (const f of top.families) for (const k of f.keys) rows.push([f.family, k.key, humanBytes(k.bytes), n(k.bytes)]);
  for (const k of top.unknown.keys) rows.push([`(no family) ${k.namespace}`, k.key, humanBytes(k.bytes), n(k.bytes)]);
  if (rows.length === 0) {
    out.line(`biggest keys: none measured (${from})`);
    return;
  }
  out.line(`biggest keys, up to ${top.limit} per family (${from}):`);
  out.table(['family', 'key', 'size', 'bytes'], rows, { align: ['left', 'left', 'right', 'right'], fit: { shrink: [1, 0], drop: [3] } });
}

function spreadCells(spread: SizeSpread | null): string[] {
  if (!spread) return ['0', '-', '-', '-'];
  return [n(spread.measured), humanBytes(spread.p50), humanBytes(spread.p99), humanBytes(spread.max)];
}
