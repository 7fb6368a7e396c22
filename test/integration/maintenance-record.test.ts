import { describe, expect, it } from 'vitest';
import { connect } from '../../src/redis/connect.js';
import { resolveConfig } from '../../src/config/load.js';
import { ownKeys } from '../../src/core/records/own-keys.js';
import { readLastRun, readRuns, recordRun, type MaintenanceRun } from '../../src/core/records/runs.js';
import { randomPrefix, serverTargets } from '../helpers/targets.js';

function run(id: string, status: MaintenanceRun['status'] = 'ok'): MaintenanceRun {
  return {
    id,
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    status,
    hours: 24,
    removed: { families: { userState: 3 }, queues: { 'bull:q': 2 } },
    errors: status === 'ok' ? [] : ['boom'],
    host: 'test-host',
  };
}

describe.each(serverTargets())('maintenance run records on $name', (target) => {
  it('writes, reads back newest first, and caps the stream', async () => {
    const connection = await connect({ url: target.url });
    const stream = `${randomPrefix('record')}runs`;
    try {
      expect(await readLastRun(connection, stream)).toBeUndefined();
      await recordRun(connection, stream, run('a'));
      await recordRun(connection, stream, run('b', 'partial'));
      const last = await readLastRun(connection, stream);
      expect(last).toMatchObject({ id: 'b', status: 'partial', errors: ['boom'], removed: { families: { userState: 3 } } });
      expect((await readRuns(connection, stream, 10)).map((r) => r.id)).toEqual(['b', 'a']);
      expect(await readRuns(connection, stream, 0)).toEqual([]);
      // a foreign entry in the stream is skipped, not a crash
      await connection.client.xadd(stream, '*', 'run', 'not json');
      expect((await readRuns(connection, stream, 10)).map((r) => r.id)).toEqual(['b', 'a']);
      // MAXLEN ~ 1000 keeps the stream bounded (approximate trimming: whole macro nodes)
      const pipeline = connection.client.pipeline();
      for (let i = 0; i < 1300; i++) pipeline.xadd(stream, 'MAXLEN', '~', '1000', '*', 'run', '{}');
      await pipeline.exec();
      await recordRun(connection, stream, run('c'));
      const length = await connection.client.xlen(stream);
      expect(length).toBeLessThan(1300);
      expect(length).toBeGreaterThanOrEqual(1000);
      expect((await readLastRun(connection, stream))?.id).toBe('c');
    } finally {
      await connection.client.unlink(stream);
      await connection.close();
    }
  });
});

it('the own keys live under the namespace: the documented names by default', () => {
  expect(ownKeys(resolveConfig({}))).toMatchObject({
    lock: 'cachectl:maintenance:lock',
    runs: 'cachectl:maintenance:runs',
    stream: 'cachectl:invalidations',
    deadLetters: 'cachectl:invalidations:dead',
  });
  expect(ownKeys(resolveConfig({ namespace: 'ops' }))).toMatchObject({
    lock: 'ops:maintenance:lock',
    runs: 'ops:maintenance:runs',
    stream: 'ops:invalidations',
  });
});
