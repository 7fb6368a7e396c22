/**
 * The read-through's two commands sent with as little client work as ioredis allows. A command
 * method (`client.setBuffer(…)`) flattens its argument list and converts every argument; for the
 * six arguments of `SET key lease PX ms NX GET` that made the probe 1.03–1.08x a GET on loopback,
 * against ~1.00x this way (bench/read-through.mjs --breakdown). Arguments that are already a flat
 * list of strings need neither: the command is created empty and given the list, then sent with
 * ioredis's public `sendCommand` (routing on a cluster, timeouts and reconnection are ioredis's
 * own). Anything with a Buffer goes through the ordinary method, which knows how to frame bytes.
 * A client with a `keyPrefix` gets the ordinary path too: ioredis adds the prefix while it builds a
 * command from its arguments. The reader's tests read back the exact bytes and expiries stored.
 */
import { Command } from 'ioredis';
import type { RedisClient } from '../../redis/connect.js';

/** Send `name` with `args` as they are; the reply keeps bulk strings as Buffers. */
export function sendStrings(client: RedisClient, name: string, args: string[]): Promise<unknown> {
  if (client.options.keyPrefix) return client.callBuffer(name, ...args);
  const command = new Command(name, [], { replyEncoding: null });
  command.args = args;
  return client.sendCommand(command) as Promise<unknown>;
}
