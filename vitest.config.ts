import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Real servers, started once per run (see test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Child processes (ioredis sockets, spawned servers) behave more predictably in forks than threads.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2, // 2-core machine; each file also talks to several server processes
    reporters: ['default'],
  },
});
