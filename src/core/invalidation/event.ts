/**
 * Invalidation events: what `publish` appends to the stream and what `listen` / `handle()` read.
 * A stream entry carries three fields: `type`, `data` (a JSON object) and `at` (ms since epoch).
 */
import { UsageError } from '../../errors.js';

/** Field values an event may carry: strings and numbers, or lists of them ("each of these"). */
export type EventValue = string | number | bigint | boolean | null | undefined | EventValue[] | { [key: string]: EventValue };

/** One invalidation event, e.g. `{ type: 'whatsapp.message', data: { deviceId: 'dev-1' } }`. */
export interface InvalidationEvent {
  /** Event type, matched against `invalidation.rules[].event`. */
  type: string;
  /** The event's fields, referenced by the rules' `map`. */
  data?: Record<string, unknown>;
  /** Stream entry id, when the event came from the stream. */
  id?: string;
  /** When it was published (ms since epoch), when known. */
  at?: number;
}

const TYPE_PATTERN = /^[^\s]{1,200}$/;

/** Throw a `UsageError` unless `type` is a usable event type (non-empty, no whitespace, ≤ 200 chars). */
export function checkEventType(type: unknown): asserts type is string {
  if (typeof type !== 'string' || !TYPE_PATTERN.test(type)) {
    throw new UsageError(`Invalid event type ${JSON.stringify(type)}`, {
      hint: 'an event type is one word without spaces, e.g. planning.story.transitioned',
    });
  }
}

/** Check an event handed to `handle()`; returns it with `data` defaulted to `{}`. */
export function checkEvent(event: unknown): InvalidationEvent & { data: Record<string, unknown> } {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new UsageError('An invalidation event must be an object { type, data }', { hint: 'e.g. { type: "whatsapp.message", data: { deviceId: "dev-1" } }' });
  }
  const { type, data } = event as InvalidationEvent;
  checkEventType(type);
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) {
    throw new UsageError(`Event ${type}: "data" must be an object`, { hint: 'put the event fields in data: { field: value }' });
  }
  return { ...(event as InvalidationEvent), type, data: data ?? {} };
}

/** The flat field list of a stream entry: `type <t> data <json> at <ms>`. */
export function encodeEvent(type: string, data: Record<string, unknown>, at: number): string[] {
  return ['type', type, 'data', JSON.stringify(data), 'at', String(at)];
}

/**
 * Decode a stream entry's fields into an event. A malformed entry (no type, data not a JSON
 * object) is a `UsageError`: retrying it cannot help, so the listener dead-letters it at once.
 */
export function decodeEntry(id: string, fields: string[] | null): InvalidationEvent & { data: Record<string, unknown> } {
  if (!fields) throw new UsageError(`Stream entry ${id} has no fields (trimmed from the stream?)`);
  // The three fields read (a repeated field: its last value), without a map per entry.
  let type: string | undefined;
  let raw: string | undefined;
  let atField: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i];
    if (name === 'type') type = fields[i + 1];
    else if (name === 'data') raw = fields[i + 1];
    else if (name === 'at') atField = fields[i + 1];
  }
  if (type === undefined)
    throw new UsageError(`Stream entry ${id} has no "type" field`, { hint: 'publish events with cachectl publish or publishInvalidation()' });
  checkEventType(type);
  let data: unknown = {};
  if (raw !== undefined) {
    try {
      data = JSON.parse(raw);
    } catch {
      throw new UsageError(`Stream entry ${id} (${type}): "data" is not valid JSON`);
    }
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UsageError(`Stream entry ${id} (${type}): "data" must be a JSON object`);
  }
  const event: InvalidationEvent & { data: Record<string, unknown> } = { id, type, data: data as Record<string, unknown> };
  const at = Number(atField);
  if (Number.isFinite(at)) event.at = at;
  return event;
}

/** Entry fields as an object (for dead letters of entries that do not decode). */
export function fieldsObject(fields: string[] | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; fields && i + 1 < fields.length; i += 2) out[fields[i]!] = fields[i + 1]!;
  return out;
}
