// How `listen` reads on a server of its own (command statistics): plain XREADGROUPs while events
// trickle in, the trimmed-gap count (a script) at most about once a second, one UNLINK per event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runListener } from '../../../src/core/invalidation/listener.js';
import { publishInvalidation } from '../../../src/core/invalidation/publish.js';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { startServer, type ServerHandle } from '../../helpers/servers.js';
import { testConfig, waitUntil } from './helpers.js';

let server: ServerHandle;
let admin: RedisConnection;

beforeAll(async () => {
  server = await startServer();
  admin = await connect({ url: server.url });
});
afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

async function calls(): Promise<Record<string, number>> {
  const info = await admin.client.info('commandstats');
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) out[m[1]!] = Number(m[2]);
  return out;
}

describe('listen reads on a server of its own', () => {
  it('events one at a time: a plain blocking read each, the trimmed-gap script at most once a second', async () => {
    const config = testConfig(server.url, 'reads:', { rules: [{ event: 'user.changed', family: 'userState', map: { phone: 'phone' } }] });
    const controller = new AbortController();
    let settled = 0;
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const run = runListener(config, {
      connect: () => connect({ url: server.url }),
      consumer: 'c1',
      signal: controller.signal,
      onReady: () => ready(),
      onSettled: () => settled++,
    });
    try {
      await isReady;
      await new Promise((r) => setTimeout(r, 100));
      await admin.client.config('RESETSTAT');
      const started = Date.now();
      const events = 40;
      for (let i = 0; i < events; i++) {
        await admin.client.set(`reads:user:state:${i}`, 'x');
        await publishInvalidation(admin, config, 'user.changed', { phone: String(i) }, { check: false });
        await new Promise((r) => setTimeout(r, 5));
      }
      await waitUntil(async () => settled === events, 10_000, 'every event applied');
      const seconds = (Date.now() - started) / 1000;
      const stats = await calls();
      const scripts = (stats.evalsha ?? 0) + (stats.eval ?? 0);
      expect(stats.xreadgroup ?? 0).toBeGreaterThanOrEqual(events / 4);
      expect(scripts).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
      expect(stats.unlink).toBe(events);
      expect(await admin.client.exists(...Array.from({ length: events }, (_, i) => `reads:user:state:${i}`))).toBe(0);
    } finally {
      controller.abort();
      await run;
    }
  });
});
