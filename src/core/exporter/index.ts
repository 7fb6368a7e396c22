/**
 * `cachectl exporter`: a family-aware Prometheus exporter (see exporter.ts).
 */
export { Exporter, type ExporterOptions, type ExporterLog, type ExporterHealth } from './exporter.js';
export { serveExporter, METRICS_CONTENT_TYPE, type ExporterServer } from './http.js';
export { BudgetPacer, type PacerOptions, type PacerTotals } from './pacer.js';
export { renderExporter, OTHER_TENANT } from './render.js';
export { withAddress } from './target.js';
