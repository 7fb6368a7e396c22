/**
 * Checking, before anything is touched, that the server's ACL lets this user run the commands a
 * run will send, on the keys it will touch: each command is sent in a form that changes nothing (a
 * key that does not exist under the selection's prefix, a script that is not loaded), which the ACL
 * judges exactly like the real one — on every Redis ≥ 6 and Valkey, without `ACL DRYRUN` (which
 * least-privilege users should not be granted: it reveals other users' rights) and without leaving
 * a denied `ACL` call in `ACL LOG` on every run. A denial is a `PermissionError` (exit 7) naming
 * the command and the keys.
 */
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { PermissionError } from '../../errors.js';
import type { RedisConnection } from '../../redis/connect.js';
import { isAclDenial } from '../../redis/errors.js';
import { isRedirect, readyMasters } from '../../redis/topology.js';

/** One command a run will send. */
export interface AclProbe {
  /** The command in a form that changes nothing (a key that does not exist under the run's prefix). */
  harmless: Array<string | Buffer>;
  /** What it stands for, for the message: "UNLINK on keys matching context:*". */
  what: string;
}

/** A key under `prefix` that does not exist, to ask the ACL about keys of that prefix. */
export function probeKey(prefix: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(prefix), Buffer.from(`\u0000cachectl-acl-probe-${randomBytes(6).toString('hex')}`, 'latin1')]);
}

/** A script SHA no server has: EVALSHA with it answers NOSCRIPT once the ACL let it through. */
export const UNKNOWN_SHA = '0000000000000000000000000000000000000000';

/** Throw a `PermissionError` for the first probe the ACL denies. */
export async function checkAcl(connection: RedisConnection, probes: readonly AclProbe[]): Promise<void> {
  // On a cluster every probe goes to one master that answers: the ACL is judged before the slot
  // is, so a redirection means "allowed" — and a master that just died, or a slot in transit,
  // cannot turn a permission check into a raw redirection error.
  const client =
    connection.mode === 'cluster' ? ((await readyMasters(connection)).find((node) => node.status === 'ready') ?? connection.client) : connection.client;
  for (const probe of probes) {
    const denial = await tryHarmless(client, probe.harmless);
    if (denial) {
      const command = (/'([^']+)' command/.exec(denial)?.[1] ?? String(probe.harmless[0])).toLowerCase();
      throw new PermissionError(`Permission denied by the server's ACL at ${connection.target} for the '${command}' command`, {
        hint: `grant '${command}' to this ACL user for ${probe.what} (see README, "Least-privilege ACL users"); checked before anything was changed`,
      });
    }
  }
}

/** Send the harmless command: '' when the ACL let it through, the denial when it did not. */
async function tryHarmless(client: Redis | Cluster, args: Array<string | Buffer>): Promise<string> {
  try {
    await client.callBuffer(String(args[0]), ...args.slice(1));
    return '';
  } catch (error) {
    const message = String((error as Error)?.message);
    if (isAclDenial(message)) return message.replace(/^NOPERM\s*/, '');
    // The script is not loaded, or the key's slot is served elsewhere: the ACL let the command
    // through. Anything else (a timeout, a lost
    // connection) is a real failure, before anything was changed.
    if (/^NOSCRIPT/.test(message) || isRedirect(error)) return '';
    throw error;
  }
}
