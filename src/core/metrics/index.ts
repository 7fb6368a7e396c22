/**
 * Prometheus text exposition of `stats` and `doctor` results.
 */
export { renderPrometheus } from './stats-metrics.js';
export { renderDoctorPrometheus } from './doctor-metrics.js';
export { ExpositionWriter, escapeHelp, escapeLabelValue, formatValue, type Labels, type MetricType } from './exposition.js';
