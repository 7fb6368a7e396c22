import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Fault tests that kill cluster masters and wait for the cluster bus to agree (2 s node timeout)
 * or that bound how long a paused server may hold a run: they run after everything else, one
 * file at a time, so that no other file's servers and CPU load stand in for the fault under test.
 */
const ALONE = ['test/reliability/faults-cluster.test.ts', 'test/reliability/exporter-failover.test.ts', 'test/reliability/faults-timeout.test.ts'];

const common = {
  // Real servers, started once per project (see test/global-setup.ts).
  globalSetup: ['test/global-setup.ts'],
  testTimeout: 30_000,
  hookTimeout: 60_000,
  // Child processes (ioredis sockets, spawned servers) behave more predictably in forks than threads.
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          ...common,
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...ALONE],
          fileParallelism: true,
          maxWorkers: 2, // 2-core machine; each file also talks to several server processes
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: { ...common, name: 'alone', include: ALONE, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
