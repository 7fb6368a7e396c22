/** Race-safe read-through for the key families (see docs/read-through.md). */
export { createReader, type CacheReader, type ReadOptions, type ReaderOptions } from './reader.js';
export { stringCodec, bufferCodec, jsonCodec, type ReadCodec } from './codec.js';
export type { ReadCounts } from './counters.js';
export { isLease, LEASE_PREFIX } from './lease.js';
