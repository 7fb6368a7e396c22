/**
 * The server's own limit on one bulk string (`proto-max-bulk-len`): a record larger than that is
 * refused before anything is written. Asked only when the file holds a record over 1 MB (the
 * default limit is 512 MB), so restores of ordinary files need no CONFIG permission.
 */
import type { RedisConnection } from '../../redis/connect.js';
import { BackupFormatError } from './errors.js';

/** Below this, no server default or sane setting can refuse a record: the server is not asked. */
export const ASK_ABOVE = 1024 * 1024;

/** Refuse the file when its largest record exceeds any master's `proto-max-bulk-len`. */
export async function checkBulkLimit(connection: RedisConnection, file: string, largest: number): Promise<void> {
  if (largest <= ASK_ABOVE) return;
  for (const node of connection.masters()) {
    let limit: number;
    try {
      const reply = (await node.call('CONFIG', 'GET', 'proto-max-bulk-len')) as string[];
      limit = Number(reply?.[1]);
    } catch {
      continue; // CONFIG not allowed: the server still refuses an oversized RESTORE on its own
    }
    if (Number.isFinite(limit) && limit > 0 && largest > limit) {
      throw new BackupFormatError(
        `${file} holds a record of ${largest} bytes, more than the server's proto-max-bulk-len (${limit}) at ${connection.nodeName(node)}`,
        { hint: 'raise proto-max-bulk-len on the target, or restore elsewhere; nothing was restored' },
      );
    }
  }
}
