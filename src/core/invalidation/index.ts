/**
 * Event-driven invalidation: rules, the in-process invalidator, publishing, and the `listen`
 * stream consumer.
 */
export { createInvalidator, asConnection, type Invalidator, type InvalidatorOptions, type InvalidatorLogger, type HandleResult } from './invalidator.js';
export type { ApplyResult, InvalidationStats } from './engine.js';
export type { InvalidationEvent } from './event.js';
export { publishInvalidation, type PublishOptions, type PublishResult } from './publish.js';
export { runListener, type ListenerLog, type ListenerOptions, type ListenerTotals, type SettledEntry } from './listener.js';
export { collectListenStatus, type ListenStatus, type ConsumerStatus } from './status.js';
export type { PassReport } from './pattern-pass.js';
export { InterruptedError } from './interrupted.js';
