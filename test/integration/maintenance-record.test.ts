import { describe, expect, it } from 'vitest';
import { connect } from '../../src/redis/connect.js';
import { readLastRun, readRuns, recordRun, RUNS_STREAM, type MaintenanceRun } from '../../src/core/maintenance/record.js';
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
      expect(await readLastRun(connection, { stream })).toBeUndefined();
      await recordRun(connection, run('a'), { stream });
      await recordRun(connection, run('b', 'partial'), { stream });
      const last = await readLastRun(connection, { stream });
      expect(last).toMatchObject({ id: 'b', status: 'partial', errors: ['boom'], removed: { families: { userState: 3 } } });
      expect((await readRuns(connection, 10, { stream })).map((r) => r.id)).toEqual(['b', 'a']);
      expect(await readRuns(connection, 0, { stream })).toEqual([]);
      // a foreign entry in the stream is skipped, not a crash
      await connection.client.xadd(stream, '*', 'run', 'not json');
      expect((await readRuns(connection, 10, { stream })).map((r) => r.id)).toEqual(['b', 'a']);
      // MAXLEN ~ 1000 keeps the stream bounded (approximate trimming: whole macro nodes)
      const pipeline = connection.client.pipeline();
      for (let i = 0; i < 1300; i++) pipeline.xadd(stream, 'MAXLEN', '~', '1000', '*', 'run', '{}');
      await pipeline.exec();
      await recordRun(connection, run('c'), { stream });
      const length = await connection.client.xlen(stream);
      expect(length).toBeLessThan(1300);
      expect(length).toBeGreaterThanOrEqual(1000);
      expect((await readLastRun(connection, { stream }))?.id).toBe('c');
    } finally {
      await connection.client.unlink(stream);
      await connection.close();
    }
  });
});

it('the default stream key is the documented one', () => {
  expect(RUNS_STREAM).toBe('cachectl:maintenance:runs');
});
