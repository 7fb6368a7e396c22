// A realistic messaging back end's cache, for the demo: WhatsApp user states, tenant mappings (with
// the stale `tenant:default` copy from the correlation bug), chat lists, story contexts, and a
// BullMQ queue with waiting, completed and failed jobs.
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

const TENANTS = ['acme', 'globex'];
const HOUR = 3600_000;

function phone(i) {
  return `2782${String(1000000 + i * 7919).slice(-7)}`;
}

function uuid(i) {
  const hex = ((i + 1) * 2654435761).toString(16).padStart(8, '0').slice(-8);
  return `${hex}-4c1d-4a7e-9b1f-${String(i).padStart(12, '0')}`;
}

/** Seed the cache families; returns facts the demo refers to. */
export async function seedCache(url, { users = 120 } = {}) {
  const redis = new Redis(url);
  const now = Date.now();
  const pipeline = redis.pipeline();
  let withoutTtl = 0;
  for (let i = 0; i < users; i++) {
    const updatedAt = new Date(now - (i % 5 === 0 ? 72 : 2) * HOUR).toISOString();
    const state = JSON.stringify({ step: ['menu', 'quote', 'driver', 'done'][i % 4], updatedAt });
    if (i % 10 === 0) {
      pipeline.set(`user:state:${phone(i)}`, state); // no TTL: what `stats` and `doctor` should flag
      withoutTtl++;
    } else pipeline.set(`user:state:${phone(i)}`, state, 'EX', 86400);
  }
  for (let i = 0; i < users / 2; i++) {
    const tenant = TENANTS[i % TENANTS.length];
    const conv = uuid(i);
    const mapping = { conversation_id: conv, wa_id: `+${phone(i)}`, communication_id: `comm-${i}`, tenant };
    pipeline.set(`tenant:${tenant}:mapping:conv:${conv}`, JSON.stringify(mapping), 'EX', 7 * 86400);
    pipeline.set(`tenant:${tenant}:mapping:wa:+${phone(i)}`, JSON.stringify(mapping), 'EX', 7 * 86400);
  }
  // The correlation bug: a copy cached under tenant:default before the tenant was known.
  const staleConversation = uuid(0);
  pipeline.set(
    `tenant:default:mapping:conv:${staleConversation}`,
    JSON.stringify({ conversation_id: staleConversation, wa_id: `+${phone(0)}`, communication_id: null, tenant: 'default' }),
  );
  pipeline.set(`tenant:default:mapping:wa:+${phone(0)}`, JSON.stringify({ conversation_id: staleConversation, communication_id: null }));
  withoutTtl += 2; // the stale copies were written without a TTL too
  for (let d = 1; d <= 3; d++) {
    for (let c = 0; c < 25; c++) {
      pipeline.set(`chats:device-${d}:chat-${c}`, JSON.stringify({ unreadCount: c % 4, lastMessage: 'hi' }), 'EX', 300);
    }
  }
  for (let s = 1; s <= 20; s++) {
    const story = `STORY-${String(s).padStart(4, '0')}`;
    pipeline.set(`context:${story}`, JSON.stringify({ phase: 'build' }), 'EX', 3600);
    pipeline.set(`context:${story}:summary`, 'summary text', 'EX', 3600);
  }
  pipeline.set('feature-flags:rollout', '{"newMenu":true}'); // belongs to no family
  await pipeline.exec();
  await redis.quit();
  return { users, staleConversation, tenants: TENANTS, samplePhone: `+${phone(3)}`, withoutTtl, userStatesWithoutTtl: withoutTtl - 2 };
}

/** A BullMQ queue with completed, failed and waiting jobs, made by a real worker. */
export async function seedQueue(url, name = 'whatsapp-messages', { done = 40, failing = 6, waiting = 15 } = {}) {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const workerConnection = connection.duplicate();
  const queue = new Queue(name, { connection });
  const worker = new Worker(
    name,
    async (job) => {
      if (job.data.fail) throw new Error('WhatsApp API returned 470: re-engagement window closed');
      return { delivered: true };
    },
    { connection: workerConnection, concurrency: 8 },
  );
  const settled = new Promise((resolve) => {
    let count = 0;
    const tick = () => ++count >= done + failing && resolve();
    worker.on('completed', tick);
    worker.on('failed', tick);
  });
  await queue.addBulk(
    Array.from({ length: done + failing }, (_, i) => ({
      name: 'send-message',
      data: { to: `+${phone(i)}`, text: `message ${i}`, fail: i < failing },
      opts: { attempts: 1 },
    })),
  );
  await settled;
  await worker.close();
  await queue.addBulk(Array.from({ length: waiting }, (_, i) => ({ name: 'send-message', data: { to: `+${phone(i)}`, text: `queued ${i}` } })));
  await queue.close();
  // BullMQ does not close connections it was given.
  await workerConnection.quit();
  await connection.quit();
  return { name, done, failing, waiting };
}
