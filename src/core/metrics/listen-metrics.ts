/**
 * `cachectl listen --status --prometheus`: the consumer group's state as gauges, and the entries
 * the stream cap trimmed before they were applied as a counter per kind (pending / undelivered).
 */
import type { ListenStatus } from '../invalidation/status.js';
import { ExpositionWriter } from './exposition.js';

/** Render a listen status in the Prometheus text exposition format. */
export function renderListenPrometheus(s: ListenStatus): string {
  const w = new ExpositionWriter();
  addListenMetrics(w, s);
  return w.toString();
}

/** The invalidation stream's series (shared by `listen --status --prometheus` and the exporter). */
export function addListenMetrics(w: ExpositionWriter, s: ListenStatus): void {
  w.add('cachectl_invalidation_stream_length', 'gauge', 'Entries in the invalidation stream.', s.length);
  w.add('cachectl_invalidation_group_exists', 'gauge', "1 when the listeners' consumer group exists.", s.groupExists ? 1 : 0);
  if (s.lag !== null) w.add('cachectl_invalidation_lag', 'gauge', 'Entries in the stream not yet delivered to the consumer group.', s.lag);
  w.add('cachectl_invalidation_pending', 'gauge', 'Entries delivered but not yet acknowledged.', s.pending);
  w.add(
    'cachectl_invalidation_oldest_pending_idle_seconds',
    'gauge',
    'Idle time of the oldest pending entry; 0 when none is pending.',
    (s.oldestPending?.idleMs ?? 0) / 1000,
  );
  w.add('cachectl_invalidation_consumers', 'gauge', 'Consumers in the group.', s.consumers.length);
  w.add('cachectl_invalidation_dead_letters', 'gauge', 'Entries in the dead-letter stream.', s.deadLetters);
  for (const kind of ['pending', 'undelivered'] as const) {
    w.add(
      'cachectl_invalidation_trimmed_total',
      'counter',
      'Entries the stream cap trimmed before they were applied (raise invalidation.maxLen).',
      s.trimmed[kind],
      {
        kind,
      },
    );
  }
  w.add('cachectl_invalidation_trimmed_entries', 'gauge', 'Entries trimmed from the stream before they were applied (all kinds).', s.trimmed.total);
  if (s.trimmed.lastAt)
    w.add(
      'cachectl_invalidation_trimmed_last_timestamp_seconds',
      'gauge',
      'When a listener last found trimmed entries (Unix time).',
      Date.parse(s.trimmed.lastAt) / 1000,
    );
}
