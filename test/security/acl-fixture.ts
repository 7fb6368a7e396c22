// Shared by the security tests: the ACL SETUSER lines of docs/security.md (so the documented
// lines are the tested ones), a small realistic keyspace, and key counting.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { ROOT } from '../helpers/cli.js';

/** `{ user: rules[] }` parsed from the ```text block of docs/security.md, password replaced. */
export function documentedAclUsers(password: string): Map<string, string[]> {
  const text = readFileSync(path.join(ROOT, 'docs/security.md'), 'utf8');
  const users = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^ACL SETUSER (cachectl-[a-z-]+) (.+)$/.exec(line.trim());
    if (match) users.set(match[1]!, match[2]!.split(/\s+/).map((rule) => (rule === '>CHANGE-ME' ? `>${password}` : rule)));
  }
  return users;
}

/** Apply `ACL SETUSER name rules…` as the admin. */
export async function setUser(admin: Redis, name: string, rules: string[]): Promise<void> {
  await admin.call('ACL', 'SETUSER', name, ...rules);
}

export const STALE_CONVERSATION = 'conv-0001';
export const PHONE = '+27821234567';

/** Cache keys of every default family (some without TTL), plus the stale tenant:default copy. */
export async function seedCache(admin: Redis): Promise<void> {
  const p = admin.pipeline();
  for (let i = 0; i < 20; i++) {
    const phone = `2782${String(1234567 + i)}`;
    const state = JSON.stringify({ step: 'menu', updatedAt: new Date().toISOString() });
    if (i % 5 === 0) p.set(`user:state:${phone}`, state);
    else p.set(`user:state:${phone}`, state, 'EX', 86400);
    const conv = `conv-${String(i).padStart(4, '0')}`;
    p.set(`tenant:acme:mapping:conv:${conv}`, JSON.stringify({ conv }), 'EX', 3600);
    p.set(`tenant:acme:mapping:wa:+${phone}`, JSON.stringify({ conv }), 'EX', 3600);
    p.set(`chats:device-${i % 3}:chat-${i}`, 'x', 'EX', 300);
    p.hset(`context:STORY-${i}`, 'summary', 'text');
  }
  p.set(`tenant:default:mapping:conv:${STALE_CONVERSATION}`, JSON.stringify({ communication_id: null }));
  await p.exec();
}

/** Keys matching `match` (SCAN, as the admin). */
export async function countKeys(admin: Redis, match = '*'): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    n += keys.length;
    cursor = next;
  } while (cursor !== '0');
  return n;
}

/** Denials the server recorded since the last `ACL LOG RESET`, as `context:object` strings. */
export async function aclDenials(admin: Redis): Promise<string[]> {
  const entries = (await admin.call('ACL', 'LOG', '100')) as unknown[][];
  return entries.map((entry) => {
    const record: Record<string, string> = {};
    for (let i = 0; i + 1 < entry.length; i += 2) record[String(entry[i])] = String(entry[i + 1]);
    return `${record.context}:${record.object}`;
  });
}
