/**
 * Keys the listener keeps beside its streams. Each carries the stream's name as its hash tag, so it
 * lives in that stream's slot on a cluster (a script may then touch both), and it starts with the
 * stream's name, so it is inside cachectl's namespace whenever the stream is.
 */

/** Dead-letter index: source entry id → dead-letter id. */
export function deadLetterIndexKey(deadLetterStream: string): string {
  return `${deadLetterStream}:sources{${deadLetterStream}}`;
}

/** Counters of entries the stream cap trimmed before they were applied (pending, undelivered, lastAt). */
export function trimmedKey(stream: string): string {
  return `${stream}:trimmed{${stream}}`;
}
