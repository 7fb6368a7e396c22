/**
 * The exporter's connection to its target, kept across server restarts and failovers. A CLI
 * connection never reconnects; the exporter instead drops a connection at the first failure and
 * opens a fresh one on the next read. For a cluster it remembers every node it has seen, so when
 * the node of the configured URL is the one that died it can still start from a live one.
 */
import { Cluster } from 'ioredis';
import type { RedisConnection } from '../../redis/connect.js';

/** Opens a connection to `url` (the configured one, or the same with another node's host:port). */
export type Opener = (url: string | undefined) => Promise<RedisConnection>;

export class TargetConnection {
  private current: RedisConnection | undefined;
  private opening: Promise<RedisConnection> | undefined;
  /** `host:port` of every cluster node seen, to start from when the configured node is gone. */
  private readonly seen = new Set<string>();
  /** Connections opened, and attempts that failed. */
  opened = 0;
  failedOpens = 0;

  constructor(
    private readonly open: Opener,
    private readonly url: string | undefined,
  ) {}

  /** The live connection, opening one when there is none (concurrent callers share the attempt). */
  async get(): Promise<RedisConnection> {
    if (this.current) return this.current;
    this.opening ??= this.openAny().finally(() => (this.opening = undefined));
    return this.opening;
  }

  /** Forget `connection` (after a failure) and close it; the next `get()` opens a new one. */
  drop(connection: RedisConnection | undefined): void {
    if (!connection || this.current !== connection) return;
    this.current = undefined;
    connection.close().catch(() => undefined);
  }

  /** Remember the nodes a cluster connection knows now (its view changes after a failover). */
  remember(connection: RedisConnection): void {
    if (!(connection.client instanceof Cluster)) return;
    for (const node of connection.client.nodes('all')) this.seen.add(connection.nodeName(node));
  }

  async close(): Promise<void> {
    const pending = this.opening;
    const current = this.current;
    this.current = undefined;
    await current?.close().catch(() => undefined);
    await pending?.then((c) => c.close()).catch(() => undefined);
  }

  private async openAny(): Promise<RedisConnection> {
    const candidates = [this.url, ...[...this.seen].map((address) => withAddress(this.url, address))];
    let firstError: unknown;
    for (const url of [...new Set(candidates)]) {
      try {
        const connection = await this.open(url);
        this.opened++;
        this.current = connection;
        this.remember(connection);
        return connection;
      } catch (error) {
        this.failedOpens++;
        firstError ??= error;
      }
    }
    throw firstError;
  }
}

/** `url` with its host and port replaced by `address` (`host:port`); credentials and db kept. */
export function withAddress(url: string | undefined, address: string): string {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at);
  const port = address.slice(at + 1);
  const parsed = new URL(url ?? 'redis://127.0.0.1:6379');
  parsed.hostname = host.includes(':') ? `[${host}]` : host;
  parsed.port = port;
  return parsed.toString();
}
