/**
 * The one place that turns options into a connected ioredis `Redis` or `Cluster` and lists the
 * master nodes to work on. A CLI connection fails fast: bounded connect and command timeouts and
 * no reconnect loop.
 */
import { isIP } from 'node:net';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { type CachectlError, UsageError } from '../errors.js';
import { displayUrl, registerSecret } from '../redact.js';
import { readUrl } from '../url-text.js';
import { classifyRedisError } from './errors.js';
import { diagnoseSentinels } from './sentinel.js';
import { readTlsCa } from './tls-ca.js';
import { DEFAULT_URL, parseRedisUrl, type ConnectionOptions } from './options.js';

export type ConnectionMode = 'standalone' | 'cluster' | 'sentinel';
export type RedisClient = Redis | Cluster;

/** A connected server (standalone, sentinel-managed, or cluster) and its master nodes. */
export interface RedisConnection {
  readonly client: RedisClient;
  readonly mode: ConnectionMode;
  /** Printable name of the server (no password). */
  readonly target: string;
  /** One client per master node: the server itself, or every master of a cluster. */
  masters(): Redis[];
  /** `host:port` of a node client returned by `masters()`. */
  nodeName(node: Redis): string;
  /** Map any error from this connection to a cachectl error naming the server. */
  wrapError(error: unknown): CachectlError;
  /** A second, independent connection with the same options (for blocking reads, subscribers). */
  duplicate(): Promise<RedisConnection>;
  /** Close the connection if this object owns it (no-op for `fromClient`). */
  close(): Promise<void>;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const DEFAULT_COMMAND_TIMEOUT_MS = 15000;

/** Connect according to `options`; rejects with a classified `CachectlError`. */
export async function connect(options: ConnectionOptions = {}): Promise<RedisConnection> {
  const url = options.url || DEFAULT_URL;
  // Known before parsing, so even a message about a URL that does not read cannot carry it.
  registerSecret(readUrl(url).parts.password);
  registerSecret(options.password);
  const parsed = parseRedisUrl(url);
  const password = parsed.password ?? options.password;
  registerSecret(password);
  const connectTimeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const sentinel = (options.sentinels?.length ?? 0) > 0;
  if (sentinel && !options.sentinelName) {
    throw new UsageError('--sentinel needs --sentinel-name', { hint: 'the name of the master set the sentinels watch, e.g. mymaster' });
  }
  if (!sentinel && !parsed.tls && (options.tlsCa || options.tlsInsecure)) {
    // Silently connecting in clear text would defeat the point of giving a CA.
    throw new UsageError(`${options.tlsCa ? '--tls-ca' : '--tls-insecure'} needs a rediss:// URL: ${displayUrl(url)} is not encrypted`, {
      hint: 'use rediss://host:port for TLS, or drop the TLS option',
    });
  }
  const target = sentinel
    ? `sentinel ${options.sentinelName} via ${options.sentinels!.map((s) => `${s.host}:${s.port}`).join(',')}`
    : displayUrl(url).replace(/\/$/, '');

  const base: RedisOptions = {
    username: parsed.username,
    password,
    db: parsed.db,
    connectTimeout,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    autoResendUnfulfilledCommands: false,
    // ioredis waits this long before destroying a socket whose peer never closes it.
    disconnectTimeout: 200,
    lazyConnect: true,
    tls: parsed.tls ? tlsOptions(parsed.host, options) : undefined,
  };
  const again = () => connect(options);

  if (sentinel) {
    const client = new Redis({
      ...base,
      sentinels: options.sentinels,
      name: options.sentinelName,
      sentinelRetryStrategy: () => null,
    });
    try {
      await open(client, target, connectTimeout);
    } catch (error) {
      throw (await diagnoseSentinels(options.sentinels!, options.sentinelName!, connectTimeout)) ?? error;
    }
    return wrap(client, 'sentinel', target, true, again);
  }

  const probe = new Redis({ ...base, host: parsed.host, port: parsed.port });
  await open(probe, target, connectTimeout);
  let clusterEnabled: boolean;
  try {
    clusterEnabled = /cluster_enabled:1/.test(await probe.info('cluster'));
    if (clusterEnabled && parsed.db !== 0 && options.cluster !== false) {
      throw new UsageError(`${target} is a cluster, which has only database 0`, { hint: 'remove the /db part of the URL' });
    }
    // ioredis only emits an 'error' when its own SELECT fails; ask again so a bad db fails here.
    if (parsed.db !== 0) await probe.select(parsed.db);
    // The cluster client's ready check runs CLUSTER INFO and, when the ACL denies it, silently
    // retries until the connect timeout: ask here so the denial is reported as one.
    if (clusterEnabled && options.cluster !== false) await probe.cluster('INFO');
  } catch (error) {
    destroy(probe);
    throw classifyRedisError(error, target);
  }
  if (!clusterEnabled || options.cluster === false) {
    if (options.cluster === true) {
      destroy(probe);
      throw new UsageError(`--cluster was given but ${target} is not a cluster node (cluster_enabled:0)`, {
        hint: 'drop --cluster, or point --redis-url at a cluster node',
      });
    }
    return wrap(probe, 'standalone', target, true, again);
  }
  await closeClient(probe);
  const { db: _db, lazyConnect: _lazy, ...nodeOptions } = base;
  const clusterOptions: ClusterOptions = {
    redisOptions: nodeOptions,
    lazyConnect: true,
    clusterRetryStrategy: () => null,
    slotsRefreshTimeout: connectTimeout,
    enableOfflineQueue: true,
    maxRedirections: 16,
    scaleReads: 'master',
  };
  const cluster = new Cluster([{ host: parsed.host, port: parsed.port }], clusterOptions);
  await open(cluster, target, connectTimeout);
  return wrap(cluster, 'cluster', target, true, again);
}

/** Use a client the application already has (library use). `close()` leaves it open. */
export function fromClient(client: RedisClient, target?: string): RedisConnection {
  const mode: ConnectionMode = client instanceof Cluster ? 'cluster' : (client.options.sentinels?.length ?? 0) > 0 ? 'sentinel' : 'standalone';
  const name = target ?? (client instanceof Cluster ? 'cluster' : `${client.options.host}:${client.options.port}`);
  return wrap(client, mode, name, false, async () => fromClient(client.duplicate() as RedisClient, name));
}

function wrap(client: RedisClient, mode: ConnectionMode, target: string, owned: boolean, duplicate: () => Promise<RedisConnection>): RedisConnection {
  return {
    client,
    mode,
    target,
    masters: () => (client instanceof Cluster ? client.nodes('master') : [client]),
    nodeName: (node) => (mode === 'sentinel' ? (socketName(node) ?? 'master') : `${node.options.host ?? '127.0.0.1'}:${node.options.port ?? 6379}`),
    wrapError: (error) => classifyRedisError(error, target),
    duplicate,
    close: async () => {
      if (owned) await closeClient(client);
    },
  };
}

/** The address a client is connected to (the master a sentinel named: its options hold no host). */
function socketName(node: Redis): string | undefined {
  const stream = (node as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
  if (!stream?.remoteAddress) return undefined;
  const host = stream.remoteAddress.replace(/^::ffff:/, '');
  return `${host.includes(':') ? `[${host}]` : host}:${stream.remotePort}`;
}

const QUIT_GRACE_MS = 500;

/** QUIT politely, but never wait long for a server that does not answer. */
async function closeClient(client: RedisClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, QUIT_GRACE_MS);
  });
  try {
    await Promise.race([client.quit().catch(() => undefined), grace]);
  } finally {
    clearTimeout(timer);
    destroy(client);
  }
}

/** Drop the connection now. `disconnect()` alone half-closes, and a silent peer keeps the socket open. */
function destroy(client: RedisClient): void {
  client.disconnect();
  const nodes = client instanceof Cluster ? client.nodes() : [client];
  for (const node of nodes) {
    (node as unknown as { stream?: { destroy(): void } }).stream?.destroy();
  }
}

/** Connect, with an overall deadline (a paused server accepts TCP but never answers). */
async function open(client: RedisClient, target: string, timeoutMs: number): Promise<void> {
  let lastError: unknown;
  client.on('error', (error) => {
    lastError = error;
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(Object.assign(new Error(`connect timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
  });
  try {
    await Promise.race([client.connect(), deadline]);
  } catch (error) {
    destroy(client);
    const cause = isGeneric(error) && lastError ? lastError : error;
    throw classifyRedisError(cause, target);
  } finally {
    clearTimeout(timer);
  }
}

/** ioredis sometimes rejects `connect()` with a generic message while the 'error' event had the real cause. */
function isGeneric(error: unknown): boolean {
  return /Connection is closed|None of startup nodes|Failed to refresh/i.test(String((error as Error)?.message));
}

function tlsOptions(host: string, options: ConnectionOptions): RedisOptions['tls'] {
  const ca = options.tlsCa ? readTlsCa(options.tlsCa) : undefined;
  // SNI takes host names only: Node warns (DEP0123, two lines on stderr) for an IP, and verifies
  // the certificate against the host either way.
  return { ca, servername: isIP(host) ? undefined : host, rejectUnauthorized: !options.tlsInsecure };
}
