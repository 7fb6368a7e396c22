/**
 * `cachectl listen`: the long-running invalidation consumer (a PM2 app), and `listen --status`.
 */
import os from 'node:os';
import { Command } from 'commander';
import type { CachectlConfig } from '../../config/load.js';
import { runListener, type ListenerLog } from '../../core/invalidation/listener.js';
import { collectListenStatus, type ListenStatus } from '../../core/invalidation/status.js';
import { renderListenPrometheus } from '../../core/metrics/listen-metrics.js';
import { UsageError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import type { CliContext } from '../context.js';
import { addLogFormatOption } from '../log-format.js';
import type { Output } from '../output.js';
import { durationOption } from '../parsers.js';

const DEFAULT_STOP_TIMEOUT_MS = 1200;

interface ListenFlags {
  status?: boolean;
  prometheus?: boolean;
  consumer?: string;
  logFormat: 'text' | 'json';
  stopTimeout: number;
}

export function listenCommand(ctx: CliContext): Command {
  const command = new Command('listen')
    .description('consume invalidation events from the stream and delete what they name (run it under PM2)')
    .option('--status', 'show stream length, group lag, pending entries, consumers and dead letters, then exit')
    .option('--prometheus', 'with --status: print it as Prometheus gauges and counters (text format)')
    .option('--consumer <name>', 'consumer name in the group (default: invalidation.consumer, else <host>-pm2-<pm_id> or <host>-<pid>)')
    .addOption(
      durationOption(
        '--stop-timeout <duration>',
        'on SIGINT/SIGTERM, finish the work in hand for at most this long (keep it below PM2 kill_timeout)',
        DEFAULT_STOP_TIMEOUT_MS,
      ),
    )
    .addHelpText(
      'after',
      `
Each event is acknowledged only after its keys are gone. Exact keys are deleted at once; pattern
invalidations waiting when a keyspace pass starts share that one pass. Entries of a dead consumer
are reclaimed after invalidation.claimIdleMs; an entry that fails invalidation.maxAttempts times
(or is malformed) moves to invalidation.deadLetterStream. After a lost connection the listener
reconnects with backoff and re-reads its own pending entries first.

Examples:
  $ cachectl listen
  $ cachectl listen --log-format json          # under PM2 (see the cache_listener app)
  $ cachectl listen --status
  $ cachectl listen --status --json | jq .lag
  $ cachectl listen --status --prometheus > /var/lib/node_exporter/cachectl_listen.prom

Entries the stream cap (invalidation.maxLen) trims before they are applied are never applied: each
listener counts them, logs a warning (event "trimmed") and --status shows them; raise the cap.`,
    )
    .action(async (flags: ListenFlags) => {
      const config = ctx.config();
      const connection = await ctx.connection();
      if (flags.prometheus && !flags.status) throw new UsageError('--prometheus goes with --status', { hint: 'cachectl listen --status --prometheus' });
      if (flags.prometheus && ctx.output.json) throw new UsageError('--prometheus and --json cannot be combined', { hint: 'pick one output format' });
      if (flags.status) {
        const status = await collectListenStatus(connection, config);
        if (flags.prometheus) ctx.output.streams.stdout.write(renderListenPrometheus(status));
        else ctx.output.result(status, printListenStatus);
        return;
      }
      await listen(ctx, config, connection, flags);
    });
  return addLogFormatOption(command);
}

async function listen(ctx: CliContext, config: CachectlConfig, connection: RedisConnection, flags: ListenFlags): Promise<void> {
  const json = flags.logFormat === 'json' || ctx.output.json;
  const out = ctx.output;
  let handedOut = false;
  await runListener(config, {
    // The first session reuses the connection the CLI opened; reconnects open fresh ones.
    connect: async () => {
      if (!handedOut) {
        handedOut = true;
        return connection;
      }
      return connection.duplicate();
    },
    consumer: flags.consumer ?? config.invalidation.consumer ?? defaultConsumer(ctx.env),
    signal: ctx.signal,
    stopTimeoutMs: flags.stopTimeout,
    log: (record) => writeLog(out, record, json),
  });
}

/** Stable under PM2 (same pm_id across restarts), so a restart re-reads its own pending entries at once. */
export function defaultConsumer(env: NodeJS.ProcessEnv): string {
  const host = os.hostname();
  return env.pm_id !== undefined && env.pm_id !== '' ? `${host}-pm2-${env.pm_id}` : `${host}-${process.pid}`;
}

function writeLog(out: Output, record: ListenerLog, json: boolean): void {
  if (json) return out.log(record);
  if (record.level === 'error') out.error(record.msg);
  else if (record.level === 'warn') out.warn(record.msg);
  else out.line(record.msg);
}

export function printListenStatus(s: ListenStatus, out: Output): void {
  if (!s.exists) {
    out.line(`stream ${s.stream} does not exist yet: nothing was published (dead letters: ${s.deadLetters})`);
    return;
  }
  out.line(`stream ${s.stream}: ${s.length} entries`);
  if (!s.groupExists) {
    out.line(`group ${s.group} does not exist yet: no listener has run (start one: cachectl listen)`);
  } else {
    const lag = s.lag === null ? 'unknown (server < 7)' : String(s.lag);
    out.line(`group ${s.group}: lag ${lag}, ${s.pending} pending, last delivered ${s.lastDeliveredId ?? '-'}`);
    if (s.oldestPending) {
      const o = s.oldestPending;
      out.line(`oldest pending ${o.id}: idle ${seconds(o.idleMs)}, ${o.deliveries} deliver${o.deliveries === 1 ? 'y' : 'ies'}, held by ${o.consumer}`);
    }
    if (s.consumers.length > 0) {
      out.table(
        ['consumer', 'pending', 'idle'],
        s.consumers.map((c) => [c.name, c.pending, seconds(c.idleMs)]),
        { align: ['left', 'right', 'right'] },
      );
    } else out.line('no consumers');
  }
  if (s.trimmed.total > 0) {
    const t = s.trimmed;
    out.line(
      out.color.yellow(
        `trimmed before applied: ${t.total} (${t.pending} pending, ${t.undelivered} never delivered)${t.lastAt ? `, last ${t.lastAt}` : ''}: raise invalidation.maxLen`,
      ),
    );
  }
  const dead = `dead letters: ${s.deadLetters} in ${s.deadLetterStream}`;
  out.line(s.deadLetters > 0 ? `${out.color.yellow(dead)} (inspect: redis-cli XRANGE ${s.deadLetterStream} - + COUNT 10)` : dead);
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
