/**
 * `cachectl doctor --prometheus`: one gauge per check (0 pass, 1 warn, 2 fail; skipped checks are
 * left out) for alerting from node_exporter's textfile collector.
 */
import type { CheckStatus, DoctorResult } from '../doctor/types.js';
import { ExpositionWriter } from './exposition.js';

const LEVEL: Partial<Record<CheckStatus, number>> = { pass: 0, warn: 1, fail: 2 };

/** Render a doctor result in the Prometheus text exposition format. */
export function renderDoctorPrometheus(result: DoctorResult): string {
  const w = new ExpositionWriter();
  w.add('cachectl_doctor_status', 'gauge', 'Overall doctor result: 0 pass, 1 warn, 2 fail.', LEVEL[result.status]!);
  for (const check of result.checks) {
    const level = LEVEL[check.status];
    if (level !== undefined) w.add('cachectl_doctor_check_status', 'gauge', 'Doctor check result: 0 pass, 1 warn, 2 fail.', level, { check: check.id });
  }
  w.add('cachectl_doctor_duration_seconds', 'gauge', 'Time the doctor run took.', result.durationMs / 1000);
  w.add('cachectl_doctor_timestamp_seconds', 'gauge', 'When the doctor ran (Unix time).', Date.parse(result.timestamp) / 1000);
  return w.toString();
}
