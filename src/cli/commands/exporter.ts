/**
 * `cachectl exporter`: a long-running HTTP server for Prometheus (`/metrics`, `/healthz`), bound
 * to loopback by default. Runs under PM2 (the cache_exporter app) or systemd; stops gracefully on
 * SIGINT/SIGTERM. The work is in core/exporter; this file parses flags and writes the log.
 */
import { isIP } from 'node:net';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Exporter, type ExporterLog } from '../../core/exporter/exporter.js';
import { serveExporter, type ExporterServer } from '../../core/exporter/http.js';
import { CachectlError } from '../../errors.js';
import { connect } from '../../redis/connect.js';
import { DEFAULT_URL } from '../../redis/options.js';
import { displayUrl } from '../../redact.js';
import { connectionOptionsFrom } from '../../redis/from-config.js';
import type { CliContext } from '../context.js';
import { addLogFormatOption } from '../log-format.js';
import type { Output } from '../output.js';
import { durationOption, integerParser } from '../parsers.js';

export const DEFAULT_LISTEN = '127.0.0.1:9479';

interface ExporterFlags {
  listen: { host: string; port: number };
  refresh: number;
  discovery: number;
  sample: number;
  stepBudget: number;
  serverShare: number;
  scrapeTimeout: number;
  maxQueues: number;
  logFormat: 'text' | 'json';
}

export function exporterCommand(ctx: CliContext): Command {
  const command = new Command('exporter')
    .description('serve Prometheus metrics (families, TTL policy, memory, tenants, queues, invalidation, maintenance, doctor) over HTTP')
    .addOption(
      new Option('--listen <host:port>', 'address to serve /metrics and /healthz on (port 0 picks a free one)')
        .argParser(parseListen)
        .default(parseListen(DEFAULT_LISTEN), DEFAULT_LISTEN),
    )
    .addOption(durationOption('--refresh <duration>', 'how often the sampled key census, queue probes and doctor verdicts are refreshed', 60_000))
    .addOption(durationOption('--discovery <duration>', 'how often a paced SCAN pass looks for new BullMQ queues', 600_000))
    .option('--sample <n>', 'keys drawn per refresh', integerParser(100, 1_000_000), 10_000)
    .addOption(durationOption('--step-budget <duration>', 'target server time of one step of a refresh', 10))
    .addOption(
      new Option('--server-share <percent>', "most of each master's time the refresh steps may take (1%, 0.5)").argParser(parsePercent).default(1, '1%'),
    )
    .addOption(durationOption('--scrape-timeout <duration>', "longest a scrape waits for the server (capped by Prometheus' own scrape timeout)", 5000))
    .option('--max-queues <n>', 'most queues exported one by one (the rest are counted)', integerParser(1, 100_000), 200)
    .addHelpText(
      'after',
      `
Cheap figures (server INFO, queue job counts and oldest waiting job, invalidation stream, last
maintenance run) are read at each scrape; costly ones (keys per family and tenant, TTL coverage
and breaches, memory estimates, unknown namespaces, doctor verdicts) come from a sampled census
refreshed every --refresh, in steps of about --step-budget of server time that together take at
most --server-share of each master's time. A scrape never waits for a refresh. When the server
is down the exporter keeps running and reports cachectl_up 0. Metrics: docs/monitoring.md.

Examples:
  $ cachectl exporter                                   # http://127.0.0.1:9479/metrics
  $ cachectl exporter --listen 127.0.0.1:9479 --refresh 2m --log-format json
  $ curl -s 127.0.0.1:9479/metrics | grep cachectl_family_keys`,
    )
    .action(async (flags: ExporterFlags) => {
      const config = ctx.config();
      const out = ctx.output;
      const json = flags.logFormat === 'json' || out.json;
      const log = (record: ExporterLog | { level: 'info'; event: string; msg: string }) => writeLog(out, record, json);
      const base = connectionOptionsFrom(config);
      const exporter = new Exporter(config, {
        url: base.url,
        // A scrape must not hang on a server that accepts connections but never answers.
        open: (url) => connect({ ...base, url, commandTimeoutMs: ctx.options.commandTimeout ?? flags.scrapeTimeout }),
        refreshMs: flags.refresh,
        discoveryMs: flags.discovery,
        sample: flags.sample,
        stepMs: flags.stepBudget,
        serverShare: flags.serverShare / 100,
        scrapeTimeoutMs: flags.scrapeTimeout,
        maxQueues: flags.maxQueues,
        log,
      });
      let server: ExporterServer;
      try {
        server = await serveExporter(exporter, flags.listen.host, flags.listen.port);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        throw new CachectlError(`Cannot listen on ${hostPort(flags.listen.host, flags.listen.port)} (${code})`, {
          hint: code === 'EADDRINUSE' ? 'another process holds that port: pick another with --listen host:port' : 'check the address and your permissions',
          cause: error,
        });
      }
      if (!isLoopback(flags.listen.host)) {
        out.warn(
          `listening on ${flags.listen.host}, not loopback: anyone who can reach this port reads the metrics (family, queue and namespace names); put a firewall or an authenticating proxy in front`,
        );
      }
      exporter.start();
      log({
        level: 'info',
        event: 'listening',
        msg: `listening on http://${hostPort(server.address.host, server.address.port)}/metrics (target ${displayUrl(config.redis.url ?? DEFAULT_URL)})`,
      });
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await server.close();
      await exporter.stop();
      log({ level: 'info', event: 'stopped', msg: 'stopped' });
    });
  return addLogFormatOption(command);
}

/** `host:port`, `[v6]:port`; the host is required (an empty one would mean every interface). */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(value.trim()) ?? /^([^:\s[\]]+):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw new InvalidArgumentError(`expected host:port such as 127.0.0.1:9479 or [::1]:9479, got "${value}".`);
  return { host: match[1]!, port };
}

function parsePercent(value: string): number {
  const n = Number(value.trim().replace(/%$/, ''));
  if (!Number.isFinite(n) || n <= 0 || n > 50) throw new InvalidArgumentError(`expected a percentage above 0 and at most 50, got "${value}".`);
  return n;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function writeLog(out: Output, record: { level: string; event: string; msg: string }, json: boolean): void {
  if (json) return out.log(record);
  if (record.level === 'error') out.error(record.msg);
  else if (record.level === 'warn') out.warn(record.msg);
  else out.info(record.msg);
}
