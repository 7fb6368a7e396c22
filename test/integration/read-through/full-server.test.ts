// A server at maxmemory with noeviction rejects every SET, even SET NX that would not write: the
// reader must still answer hits, and load misses without filling (and without failing).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type RedisConnection } from '../../../src/redis/connect.js';
import { createReader } from '../../../src/core/read-through/reader.js';
import { startServer, type ServerHandle } from '../../helpers/servers.js';
import { testConfig } from '../invalidation/helpers.js';

let server: ServerHandle;
let connection: RedisConnection;

beforeAll(async () => {
  server = await startServer({ args: ['--maxmemory', '4mb', '--maxmemory-policy', 'noeviction'] });
  connection = await connect({ url: server.url });
});
afterAll(async () => {
  await connection?.close();
  await server?.stop();
});

it('answers hits and loads misses without filling when the server refuses writes', async () => {
  const config = testConfig(server.url, 'full:');
  const reader = createReader(config, connection);
  await connection.client.set('full:tenant:acme:mapping:conv:cached', 'kept');
  const filler = 'x'.repeat(10_000);
  for (let i = 0; ; i++) {
    try {
      await connection.client.set(`ballast:${i}`, filler);
    } catch (error) {
      expect(String(error)).toMatch(/OOM/);
      break;
    }
  }
  expect(await reader.read('full:tenant:acme:mapping:conv:cached', async () => 'loaded')).toBe('kept');
  expect(await reader.read('full:tenant:acme:mapping:conv:new', async () => 'loaded')).toBe('loaded');
  expect(await connection.client.exists('full:tenant:acme:mapping:conv:new')).toBe(0);
  expect(reader.counts().convMapping).toMatchObject({ hits: 1, misses: 1, fills: 0 });
});
