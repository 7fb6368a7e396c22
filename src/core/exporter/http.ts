/**
 * The exporter's HTTP side: `GET /metrics` (Prometheus text format 0.0.4) and `GET /healthz`
 * (JSON: the process is alive; `target` says whether the server answers). A scrape honours
 * Prometheus' `X-Prometheus-Scrape-Timeout-Seconds` so it answers before Prometheus gives up.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Exporter } from './exporter.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Leave Prometheus this much of its scrape timeout to receive the answer. */
const SCRAPE_MARGIN_MS = 500;

export interface ExporterServer {
  /** The address actually bound (port 0 picks a free one). */
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** Listen on `host:port` and serve `exporter`; rejects with the listen error (EADDRINUSE, EACCES…). */
export async function serveExporter(exporter: Exporter, host: string, port: number): Promise<ExporterServer> {
  const server = createServer((request, response) => {
    handle(exporter, request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
  // A scraper that keeps its connection open must not hold up a stop.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return { address: { host: bound.address, port: bound.port }, close: () => closeServer(server) };
}

async function handle(exporter: Exporter, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    response.end('only GET and HEAD\n');
    return;
  }
  if (path === '/metrics') {
    const header = Number(request.headers['x-prometheus-scrape-timeout-seconds']);
    const timeout = Number.isFinite(header) && header > 0 ? Math.max(100, header * 1000 - SCRAPE_MARGIN_MS) : undefined;
    const body = await exporter.scrape(timeout);
    response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : body);
    return;
  }
  if (path === '/healthz') {
    const health = exporter.health();
    const body = JSON.stringify({ status: 'ok', target: health.targetUp === null ? 'unknown' : health.targetUp ? 'up' : 'down', ...health });
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : `${body}\n`);
    return;
  }
  if (path === '/') {
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('cachectl exporter: /metrics (Prometheus), /healthz\n');
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  response.end('not found: try /metrics or /healthz\n');
}

/** Stop accepting, end idle keep-alive connections, wait for the requests in hand. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
