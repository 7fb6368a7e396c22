/**
 * The earlier state-module functions as plain exports (`import { clearAllUserStates } from
 * 'cachectl'`): each connects from the environment (REDIS_URL, CACHECTL_CONFIG / ./cachectl.config.json),
 * runs the `CacheManager` method of the same name, and closes.
 */
import type { ClearOptions } from '../operations/run.js';
import { CacheManager, type SafetyOptions } from '../cache-manager.js';
import type { MemoryStats } from './user-states.js';

/** Delete every `userState` key (needs `{ force: true }`: a whole family); the count deleted. */
export function clearAllUserStates(options: ClearOptions & SafetyOptions = {}): Promise<number> {
  return CacheManager.clearAllUserStates(options);
}

/** Delete `userState` keys older than `hours`; the count deleted. */
export function clearOldUserStates(hours?: number, options: ClearOptions & SafetyOptions = {}): Promise<number> {
  return CacheManager.clearOldUserStates(hours, options);
}

/** Delete one user's `userState` keys; the count deleted. */
export function clearUserState(phone: string, options: ClearOptions & SafetyOptions & { country?: string } = {}): Promise<number> {
  return CacheManager.clearUserState(phone, options);
}

/** `{ totalKeys, userStateKeys, memory, timestamp }`. */
export function getMemoryStats(options: { exact?: boolean } = {}): Promise<MemoryStats> {
  return CacheManager.getMemoryStats(options);
}
