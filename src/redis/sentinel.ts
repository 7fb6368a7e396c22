/**
 * When a connection through sentinels fails, ask the sentinels again (one short connection each)
 * so the message says what is true: they do not watch a master of that name (exit 2, with the
 * names they do watch), none of them answered (exit 3, each address and why), or the master they
 * name is down (exit 3, with its address).
 */
import { Redis } from 'ioredis';
import { ConnectionError, UsageError, type CachectlError } from '../errors.js';
import type { HostPort } from './options.js';

interface SentinelAnswer {
  address: string;
  master?: string | null;
  names?: string[];
  error?: string;
}

async function ask(sentinel: HostPort, name: string, timeoutMs: number): Promise<SentinelAnswer> {
  const address = `${sentinel.host.includes(':') ? `[${sentinel.host}]` : sentinel.host}:${sentinel.port}`;
  const client = new Redis({
    host: sentinel.host,
    port: sentinel.port,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  let lastError: NodeJS.ErrnoException | undefined;
  client.on('error', (error: NodeJS.ErrnoException) => (lastError = error));
  try {
    await client.connect();
    const reply = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string] | null;
    const masters = (await client.call('SENTINEL', 'MASTERS')) as string[][];
    const names = masters.map((fields) => fields[fields.indexOf('name') + 1] ?? '').filter(Boolean);
    return { address, master: reply ? `${reply[0]}:${reply[1]}` : null, names };
  } catch (error) {
    const e = (lastError ?? error) as NodeJS.ErrnoException;
    return { address, error: e.code ?? e.message };
  } finally {
    client.disconnect();
  }
}

/** Explain a failed sentinel connection; undefined when the sentinels see nothing wrong. */
export async function diagnoseSentinels(sentinels: HostPort[], name: string, timeoutMs: number): Promise<CachectlError | undefined> {
  const answers = await Promise.all(sentinels.map((s) => ask(s, name, Math.min(timeoutMs, 2000))));
  const answered = answers.filter((a) => a.error === undefined);
  if (answered.length === 0) {
    return new ConnectionError(`No sentinel answered: ${answers.map((a) => `${a.address} (${a.error})`).join(', ')}`, {
      hint: 'check the --sentinel addresses and that the sentinels are running',
    });
  }
  const master = answered.find((a) => a.master)?.master;
  if (!master) {
    const names = [...new Set(answered.flatMap((a) => a.names ?? []))];
    return new UsageError(`The sentinels watch no master named "${name}" (they watch: ${names.join(', ') || 'none'})`, {
      hint: 'give --sentinel-name one of the names they watch',
    });
  }
  return new ConnectionError(`The master "${name}" the sentinels name, ${master}, cannot be reached`, {
    hint: 'the master is down or unreachable from here; the sentinels fail over once they agree it is down',
  });
}
