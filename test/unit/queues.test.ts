import { describe, expect, it } from 'vitest';
import { parseState, sharesOneSlot, CLEANABLE_STATES } from '../../src/core/queues/bull.js';
import { queueRef } from '../../src/core/queues/discovery.js';
import { backupFileName, drainStates } from '../../src/core/queues/drain.js';
import { parseLine } from '../../src/core/queues/import.js';
import { topReasons } from '../../src/core/queues/inspect.js';
import { countWorkers } from '../../src/core/queues/list.js';
import { parseGrace } from '../../src/cli/commands/queues/shared.js';

describe('queue helpers', () => {
  it('parseState normalises "waiting" and refuses active and unknown states', () => {
    expect(parseState('waiting', CLEANABLE_STATES)).toBe('wait');
    expect(parseState(' Failed ', CLEANABLE_STATES)).toBe('failed');
    expect(() => parseState('active', CLEANABLE_STATES)).toThrow(/never removed/);
    expect(() => parseState('done', CLEANABLE_STATES)).toThrow(/Unknown state "done"/);
  });

  it('sharesOneSlot: a hash tag inside <prefix>:<name>: keeps a queue in one slot', () => {
    expect(sharesOneSlot(queueRef('{bull}', 'q'))).toBe(true);
    expect(sharesOneSlot(queueRef('bull', '{q}'))).toBe(true);
    expect(sharesOneSlot(queueRef('bull', 'q'))).toBe(false);
    expect(sharesOneSlot(queueRef('{}', 'q'))).toBe(false);
    expect(sharesOneSlot(queueRef('{bull', 'q'))).toBe(false);
  });

  it('topReasons groups by first line, most frequent first', () => {
    expect(topReasons(['a\nstack', 'b', 'a', '', 'c', 'b', 'a'], 2)).toEqual([
      { reason: 'a', count: 3 },
      { reason: 'b', count: 2 },
    ]);
    expect(topReasons([''], 5)).toEqual([{ reason: '(no reason)', count: 1 }]);
  });

  it('countWorkers matches BullMQ client names and takes the busiest node', () => {
    const ref = queueRef('bull', 'mail');
    const b64 = Buffer.from('mail').toString('base64');
    const node1 = [`bull:${b64}`, `bull:${b64}:w:alpha`, 'other', `bull:${b64}x`];
    const node2 = [`bull:${b64}`];
    expect(countWorkers(ref, [node1, node2])).toBe(2);
    expect(countWorkers(ref, [])).toBe(0);
  });

  it('parseLine keeps name/data/opts and the original timestamp; drops what cannot be restored', () => {
    const { line, state } = parseLine(
      JSON.stringify({
        name: 'n',
        data: { a: 1 },
        opts: { attempts: 3, delay: 500, parent: { id: '1', queue: 'bull:p' }, repeatJobKey: 'r' },
        state: 'wait',
        timestamp: 1700000000000,
      }),
    );
    expect(state).toBe('wait');
    expect(line).toEqual({ name: 'n', data: { a: 1 }, opts: { attempts: 3, timestamp: 1700000000000 } });
    expect(parseLine(JSON.stringify({ name: 'n', data: null, opts: { delay: 500 }, state: 'delayed' })).line.opts).toEqual({ delay: 500 });
    expect(() => parseLine('[]')).toThrow(/JSON object/);
    expect(() => parseLine('{"name":"x"}')).toThrow(/"data" is missing/);
    expect(() => parseLine('{"name":"x","data":1,"opts":[]}')).toThrow(/"opts"/);
  });

  it('backup file names are safe and dated; drain states', () => {
    const when = new Date('2024-05-01T02:03:04.005Z');
    expect(backupFileName('/l/backups', queueRef('{bull}', 'a:b c'), when)).toBe('/l/backups/bull-a-b-c-2024-05-01T02-03-04-005Z.jsonl');
    expect(drainStates(false)).not.toContain('delayed');
    expect(drainStates(true)).toContain('delayed');
  });

  it('parseGrace accepts 0 and durations, a bare number is hours (marked, so the command warns)', () => {
    expect(parseGrace('0')).toEqual({ ms: 0, bare: false });
    expect(parseGrace('24h')).toEqual({ ms: 86_400_000, bare: false });
    expect(parseGrace('2')).toEqual({ ms: 7_200_000, bare: true });
    expect(parseGrace('90s')).toEqual({ ms: 90_000, bare: false });
    expect(() => parseGrace('-1h')).toThrow();
    expect(() => parseGrace('soon')).toThrow();
  });
});
