// Public test-harness API: real redis-server / valkey-server processes (no mocks).
// The process plumbing lives in server-process.ts, cluster formation in cluster.ts.
export { hasBinary, startServer } from './server-process.js';
export type { ServerBinary, ServerHandle, StartServerOptions } from './server-process.js';
export { startCluster } from './cluster.js';
export type { ClusterHandle, StartClusterOptions } from './cluster.js';
