import { describe, expect, it } from 'vitest';
import { ExpositionWriter, formatValue } from '../../../src/core/metrics/exposition.js';
import { parsePrometheus, PromParseError, promValue } from '../../helpers/prom-parse.js';

describe('ExpositionWriter', () => {
  it('writes HELP and TYPE before the samples and escapes label values so they parse back', () => {
    const nasty = 'a"b\\c\nd é \\n';
    const text = new ExpositionWriter()
      .add('cachectl_x', 'gauge', 'Help with \\ and\nnewline.', 1, { namespace: nasty })
      .add('cachectl_x', 'gauge', 'ignored', 2, { namespace: 'plain' })
      .add('cachectl_hits_total', 'counter', 'Hits.', 7)
      .toString();
    expect(text.split('\n').slice(0, 2)).toEqual(['# HELP cachectl_x Help with \\\\ and\\nnewline.', '# TYPE cachectl_x gauge']);
    const parsed = parsePrometheus(text);
    expect(parsed.get('cachectl_x')?.help).toBe('Help with \\ and\nnewline.');
    expect(promValue(parsed, 'cachectl_x', { namespace: nasty })).toBe(1);
    expect(promValue(parsed, 'cachectl_hits_total')).toBe(7);
    expect(parsed.get('cachectl_hits_total')?.type).toBe('counter');
  });

  it('refuses what the format forbids', () => {
    const w = new ExpositionWriter().add('cachectl_a', 'gauge', 'A.', 1, { x: '1' });
    expect(() => w.add('cachectl_a', 'gauge', 'A.', 2, { x: '1' })).toThrow(/duplicate series/);
    expect(() => w.add('cachectl_a', 'counter', 'A.', 2)).toThrow(/must end in _total/);
    expect(() => w.add('cachectl-bad', 'gauge', 'A.', 2)).toThrow(/invalid metric name/);
    expect(() => w.add('cachectl_b', 'gauge', 'B.', 2, { __x: '1' })).toThrow(/invalid label name/);
    expect(() => w.add('cachectl_c', 'gauge', 'C.', 2, { 'a-b': '1' })).toThrow(/invalid label name/);
  });

  it('formats special values the Go way', () => {
    expect([NaN, Infinity, -Infinity, 0.25, 3].map(formatValue)).toEqual(['NaN', '+Inf', '-Inf', '0.25', '3']);
    expect(promValue(parsePrometheus(new ExpositionWriter().add('m', 'gauge', 'M.', Infinity).toString()), 'm')).toBe(Infinity);
  });

  it('renders nothing for no metrics', () => {
    expect(new ExpositionWriter().toString()).toBe('');
  });
});

describe('the strict test parser rejects malformed exposition text', () => {
  const bad: Array<[string, string, RegExp]> = [
    ['no final line feed', '# TYPE a gauge\na 1', /end with a line feed/],
    ['TYPE after samples', 'a 1\n# TYPE a gauge\n', /TYPE after samples/],
    ['two TYPE lines', '# TYPE a gauge\n# TYPE a gauge\na 1\n', /second TYPE/],
    ['bad metric name', '1a 1\n', /invalid metric name/],
    ['bad label name', 'a{1x="v"} 1\n', /invalid label name/],
    ['reserved label name', 'a{__name__="v"} 1\n', /invalid label name/],
    ['bad escape', 'a{x="\\t"} 1\n', /invalid escape/],
    ['unterminated value', 'a{x="v} 1\n', /unterminated|expected/],
    ['duplicate series', 'a{x="1"} 1\na{x="1"} 2\n', /duplicate series/],
    ['same series, labels reordered', 'a{x="1",y="2"} 1\na{y="2",x="1"} 2\n', /duplicate series/],
    ['label given twice', 'a{x="1",x="2"} 1\n', /given twice/],
    ['interleaved groups', 'a 1\nb 1\na{x="1"} 2\n', /one group/],
    ['timestamp', 'a 1 1700000000000\n', /timestamps/],
    ['bad value', 'a one\n', /invalid value/],
    ['unknown type', '# TYPE a meter\n', /unknown type/],
  ];
  it.each(bad)('%s', (_, text, error) => {
    expect(() => parsePrometheus(text)).toThrow(PromParseError);
    expect(() => parsePrometheus(text)).toThrow(error);
  });

  it('accepts a well-formed text with comments, histograms and special values', () => {
    const ok = '# a comment\n# HELP h H.\n# TYPE h histogram\nh_bucket{le="+Inf"} 3\nh_sum 1.5e3\nh_count 3\ng -Inf\n';
    const parsed = parsePrometheus(ok);
    expect(parsed.get('h')?.samples).toHaveLength(3);
    expect(promValue(parsed, 'g')).toBe(-Infinity);
  });
});
