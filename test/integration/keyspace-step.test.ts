// The keyspace step script has two loops over the keys a SCAN step returns: the general one (guard,
// rule lookup and verdict per key) and a direct one for a pass with nothing to decide per key (one
// rule acting on every key the MATCH filter lets through, nothing guarded, no capture). Both must
// report the same counts, leave the same keys pending and end at the same place, whatever the budget.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStep, type StepReply } from '../../src/core/keyspace/step.js';
import type { ScriptArg } from '../../src/core/scripts/index.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';

const MATCHING = 1500;
const OTHERS = 1000;
const ANY_ALL: ScriptArg[] = [1, 'any', '', 'all', 0, 0, ''];
// No guard entry at all: the direct loop. One that no key can match: the general loop, same decisions.
const DIRECT: ScriptArg[] = ['', 0];
const GENERAL: ScriptArg[] = ['', 1, 'q', 'no-such-prefix:'];

describe('keyspace step: the direct loop decides as the general one', () => {
  let server: ServerHandle;
  let client: Redis;
  beforeAll(async () => {
    server = await startServer();
    client = new Redis({ host: server.host, port: server.port });
  });
  afterAll(async () => {
    client.disconnect();
    await server.stop();
  });

  async function seed(): Promise<void> {
    const p = client.pipeline();
    for (let i = 0; i < MATCHING; i++) p.set(`ctx:${i}`, 'v');
    for (let i = 0; i < OTHERS; i++) p.set(`keep:${i}`, 'v');
    await p.exec();
  }

  /** Steps over the whole keyspace (one SCAN call covers it) until nothing is pending. */
  async function pass(guard: ScriptArg[], budget: number): Promise<StepReply[]> {
    const replies: StepReply[] = [];
    let cursor = '0';
    do {
      const reply = await runStep(
        client,
        true,
        { cursor, match: Buffer.from('ctx:*'), count: 100_000, budget, action: 'UNLINK', capture: false, guard, rules: ANY_ALL },
        1,
      );
      replies.push(reply);
      cursor = reply.cursor;
      if (replies.length > MATCHING + 1) throw new Error('the pass does not end');
    } while (cursor !== '0' || replies.at(-1)!.pending > 0);
    return replies;
  }

  const counts = (r: StepReply) => ({
    cursor: r.cursor,
    examined: r.examined,
    pending: r.pending,
    matched: r.matched,
    acted: r.acted,
    error: r.error,
    moved: r.moved.length,
  });

  for (const budget of [1, 7, 640, 5000]) {
    it(`budget ${budget}: same replies step by step, every matching key removed, nothing else`, async () => {
      await seed();
      const direct = await pass(DIRECT, budget);
      expect(await client.dbsize()).toBe(OTHERS);
      await seed();
      const general = await pass(GENERAL, budget);
      expect(await client.dbsize()).toBe(OTHERS);
      expect(direct.map(counts)).toEqual(general.map(counts));
      expect(direct.reduce((n, r) => n + r.acted[0]!, 0)).toBe(MATCHING);
      const steps = Math.ceil(MATCHING / Math.min(budget, MATCHING));
      expect(direct).toHaveLength(steps);
      // A step that leaves keys pending repeats its cursor and reports no examined keys yet.
      for (const r of direct.slice(0, -1)) expect(counts(r)).toMatchObject({ cursor: '0', examined: 0, acted: [budget], matched: [budget] });
      expect(direct.at(-1)!.examined).toBe(MATCHING - budget * (steps - 1));
      await client.del(...Array.from({ length: OTHERS }, (_, i) => `keep:${i}`));
    });
  }
});
