// The bare consumer the `listen` benchmark holds cachectl to: XREADGROUP COUNT 100 → one pipeline
// of single-key UNLINKs of the event's exact keys → XACK, nothing else (no rules engine, no guard,
// no retries, no dead letters, no trim accounting). It knows the bench's key templates by heart.
// Pattern events have no exact keys: it acknowledges them without work (their latency is not
// compared, only exact events' is).
import { Redis } from 'ioredis';

const TENANTS = ['acme', 'globex', 'default'];

/** The exact keys of one bench event (empty for pattern events). */
export function exactKeys(type, data) {
  switch (type) {
    case 'conversation.correlated':
      return TENANTS.flatMap((t) => [`tenant:${t}:mapping:conv:${data.conversationId}`, `tenant:${t}:mapping:wa:${data.waId}`]);
    case 'user.updated':
      return [`user:state:${data.phone}`];
    case 'chat.read':
      return [`chats:${data.deviceId}:${data.chatId}`];
    default:
      return [];
  }
}

/**
 * Consume `stream` in `group` until `signal` aborts. `onSettled({ id, appliedAt })` for each entry
 * once its keys are gone and it is acknowledged (`appliedAt`: after the UNLINK replies, before XACK).
 */
export async function runBareConsumer({ url, stream, group, signal, onReady, onSettled }) {
  const client = new Redis(url);
  try {
    await client.xgroup('CREATE', stream, group, '0', 'MKSTREAM').catch((error) => {
      if (!/BUSYGROUP/.test(String(error?.message))) throw error;
    });
    onReady?.();
    while (!signal.aborted) {
      const reply = await client.xreadgroup('GROUP', group, 'bare', 'COUNT', 100, 'BLOCK', 100, 'STREAMS', stream, '>');
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) continue;
      const pipeline = client.pipeline();
      for (const [, fields] of entries) {
        const type = fields[fields.indexOf('type') + 1];
        const data = JSON.parse(fields[fields.indexOf('data') + 1]);
        for (const key of exactKeys(type, data)) pipeline.unlink(key);
      }
      await pipeline.exec();
      const appliedAt = performance.timeOrigin + performance.now();
      const ids = entries.map(([id]) => id);
      await client.xack(stream, group, ...ids);
      for (const id of ids) onSettled({ id, appliedAt });
    }
  } finally {
    client.disconnect();
  }
}
