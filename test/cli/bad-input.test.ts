// Bad input, one row each (the table in docs/bad-input.md): a clear one-line message plus at most one
// hint line, the documented exit code, no stack trace, and nothing modified. A known key set (and a
// BullMQ queue) is seeded under a random prefix of the shared server, every family of the config the
// rows use lives under that prefix, and after every row the prefix's keys, values (DUMP) and TTL
// presence must be exactly what they were.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, spawnCli, type CliResult } from '../helpers/cli.js';
import { startServer, type ServerHandle } from '../helpers/servers.js';
import { randomPrefix } from '../helpers/targets.js';

const SECRET = 'Bad-Input-s3cret-pw';
const isRoot = process.getuid?.() === 0;

/** What a row's files, servers and names are. */
interface Fixture {
  url: string;
  ownUrl: string;
  P: string;
  dir: string;
  cfg: string;
  queue: string;
  closedPort: number;
}

/**
 * `error` (default): stdout empty, stderr = `error: …` [+ `hint: …`]. `warning`: the run goes on
 * (plain-id user), stderr = one `warning: …` line. `report`: a check that fails inside a report
 * (stdout), stderr empty.
 */
type Kind = 'error' | 'warning' | 'report';

interface Row {
  input: string;
  args: (f: Fixture) => string[];
  env?: (f: Fixture) => NodeJS.ProcessEnv;
  code: number;
  says: RegExp;
  kind?: Kind;
  /** `own`: a refused run that would empty the whole server if the refusal ever broke. */
  server?: 'own';
  skip?: boolean;
  /** Extra "nothing modified" checks outside the server (files). */
  after?: (f: Fixture) => void;
}

/** Global flags every row gets unless it tests them: the shared server and the prefixed config. */
const on = (f: Fixture, ...rest: string[]): string[] => ['--redis-url', f.url, '--config', f.cfg, ...rest];
const withConfig = (f: Fixture, file: string, ...rest: string[]): string[] => ['--redis-url', f.url, '--config', path.join(f.dir, file), ...rest];

const USAGE = 2;
const CONNECTION = 3;
const REFUSED = 4;

const rows: Row[] = [
  // --- connection: URL, host, credentials, TLS ---------------------------------------------------
  {
    input: 'malformed URL (no "://")',
    args: (f) => ['--config', f.cfg, '--redis-url', 'redis//x', 'ping'],
    code: USAGE,
    says: /^error: Invalid Redis URL "redis\/\/x"/,
  },
  {
    input: 'URL with another scheme',
    args: (f) => ['--config', f.cfg, '--redis-url', 'http://127.0.0.1:6379', 'ping'],
    code: USAGE,
    says: /^error: Unsupported URL scheme "http:"/,
  },
  {
    input: 'port out of range',
    args: (f) => ['--config', f.cfg, '--redis-url', 'redis://127.0.0.1:99999', 'ping'],
    code: USAGE,
    says: /^error: Invalid port 99999 in Redis URL/,
  },
  {
    input: 'port not a number',
    args: (f) => ['--config', f.cfg, '--redis-url', 'redis://127.0.0.1:abc', 'clear-all', '--yes'],
    code: USAGE,
    says: /^error: The port in Redis URL "redis:\/\/127\.0\.0\.1:\*\*\*" is not a number/,
  },
  {
    input: 'unreachable host (refused port)',
    args: (f) => ['--config', f.cfg, '--redis-url', `redis://127.0.0.1:${f.closedPort}`, 'clear-all', '--yes'],
    code: CONNECTION,
    says: /^error: Cannot connect to Redis at redis:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
  },
  {
    input: 'db index out of range',
    args: (f) => ['--config', f.cfg, '--redis-url', `${f.url}/99`, 'clear-all', '--yes'],
    code: CONNECTION,
    says: /^error: Database index is out of range at/,
  },
  {
    input: 'wrong user name / password',
    args: (f) => ['--config', f.cfg, '--redis-url', f.url.replace('redis://', `redis://nosuch-user:${SECRET}@`), 'clear-all', '--yes'],
    code: CONNECTION,
    says: /^error: Authentication failed at redis:\/\/nosuch-user:\*\*\*@.* \(wrong user name or password\)/,
  },
  {
    input: '--tls-ca with a plain redis:// URL',
    args: (f) => ['--config', f.cfg, '--redis-url', f.url, '--tls-ca', path.join(f.dir, 'ca.pem'), 'clear-all', '--yes'],
    code: USAGE,
    says: /^error: --tls-ca needs a rediss:\/\/ URL: redis:\/\/.* is not encrypted/,
  },
  {
    input: '--tls-ca file missing',
    args: (f) => ['--config', f.cfg, '--redis-url', f.url.replace('redis://', 'rediss://'), '--tls-ca', path.join(f.dir, 'no-such-ca.pem'), 'ping'],
    code: USAGE,
    says: /^error: The TLS CA file .*no-such-ca\.pem does not exist/,
  },

  // --- command line ------------------------------------------------------------------------------
  { input: 'unknown command', args: (f) => on(f, 'nosuch'), code: USAGE, says: /^error: unknown command 'nosuch'$/m },
  {
    input: 'misspelled command',
    args: (f) => on(f, 'clear-al', '--yes'),
    code: USAGE,
    says: /^error: unknown command 'clear-al' \(Did you mean clear-all\?\)$/m,
  },
  { input: 'unknown flag', args: (f) => on(f, 'clear-all', '--yes', '--nosuch-flag'), code: USAGE, says: /^error: unknown option '--nosuch-flag'$/m },
  {
    input: 'misspelled flag',
    args: (f) => on(f, 'clear-all', '--dry-rn', '--yes'),
    code: USAGE,
    says: /^error: unknown option '--dry-rn' \(Did you mean --dry-run\?\)$/m,
  },
  { input: 'missing argument', args: (f) => on(f, 'clear-user'), code: USAGE, says: /^error: missing required argument 'user'/ },
  {
    input: 'option without its value',
    args: (f) => on(f, 'clear-old', '--yes', '--hours'),
    code: USAGE,
    says: /^error: option '--hours <n>' argument missing/,
  },
  {
    input: 'required option missing',
    args: (f) => on(f, 'backup', 'pattern', `${f.P}*`),
    code: USAGE,
    says: /^error: required option '--out <file>' not specified/,
  },
  {
    input: 'argument not among the choices',
    args: (f) => on(f, 'hook', 'nosuch'),
    code: USAGE,
    says: /^error: command-argument value 'nosuch' is invalid for argument 'name'\. Allowed choices are pre-deploy, deploy, pm2-restart\./,
  },

  // --- numbers and durations ---------------------------------------------------------------------
  {
    input: '--limit 0',
    args: (f) => on(f, 'clear-all', '--yes', '--limit', '0'),
    code: USAGE,
    says: /^error: option '--limit <n>' argument '0' is invalid\. expected a number from 1 to/,
  },
  {
    input: '--limit -3',
    args: (f) => on(f, 'clear-all', '--yes', '--limit', '-3'),
    code: USAGE,
    says: /^error: option '--limit <n>' argument '-3' is invalid\. expected a whole number, got "-3"\./,
  },
  {
    input: '--rate abc',
    args: (f) => on(f, 'clear-all', '--yes', '--rate', 'abc'),
    code: USAGE,
    says: /^error: option '--rate <n>' argument 'abc' is invalid\. expected a whole number/,
  },
  {
    input: '--batch 1e9',
    args: (f) => on(f, 'clear-all', '--yes', '--batch', '1e9'),
    code: USAGE,
    says: /^error: option '--batch <n>' argument '1e9' is invalid\. expected a whole number/,
  },
  {
    input: '--batch above the maximum',
    args: (f) => on(f, 'invalidate', 'pattern', `${f.P}*`, '--yes', '--batch', '999999999'),
    code: USAGE,
    says: /^error: option '--batch <n>' argument '999999999' is invalid\. expected a number from 1 to 100000/,
  },
  {
    input: '--hours x',
    args: (f) => on(f, 'clear-old', '--yes', '--hours', 'x'),
    code: USAGE,
    says: /^error: option '--hours <n>' argument 'x' is invalid\. expected a positive number of hours/,
  },
  {
    input: '--hours -1',
    args: (f) => on(f, 'clear-old', '--yes', '--hours', '-1'),
    code: USAGE,
    says: /^error: option '--hours <n>' argument '-1' is invalid\. expected a positive number of hours/,
  },
  {
    input: '--command-timeout 5parsecs',
    args: (f) => on(f, '--command-timeout', '5parsecs', 'clear-all', '--yes'),
    code: USAGE,
    says: /^error: option '--command-timeout <duration>' argument '5parsecs' is invalid\. expected a duration such as 500ms, 5s, 24h or 7d/,
  },
  {
    input: '--connect-timeout 5 (no unit)',
    args: (f) => on(f, '--connect-timeout', '5', 'ping'),
    code: USAGE,
    says: /^error: option '--connect-timeout <duration>' argument '5' is invalid\. "5" has no unit: write 5s, 5ms or 5m/,
  },
  {
    input: '--connect-timeout 0',
    args: (f) => on(f, '--connect-timeout', '0', 'ping'),
    code: USAGE,
    says: /^error: option '--connect-timeout <duration>' argument '0' is invalid\. expected a duration above zero/,
  },
  {
    input: 'queues --grace 5parsecs',
    args: (f) => on(f, 'queues', 'clean', f.queue, '--state', 'completed', '--grace', '5parsecs', '--yes'),
    code: USAGE,
    says: /^error: option '--grace <duration>' argument '5parsecs' is invalid/,
  },

  // --- families, placeholders, users, patterns ---------------------------------------------------
  {
    input: 'unknown family (invalidate)',
    args: (f) => on(f, 'invalidate', 'nosuchfamily', '--id', '1', '--yes'),
    code: USAGE,
    says: /^error: Unknown family "nosuchfamily"/,
  },
  { input: 'unknown family (keys)', args: (f) => on(f, 'keys', 'nosuchfamily'), code: USAGE, says: /^error: Unknown family "nosuchfamily"/ },
  {
    input: 'unknown family (backup)',
    args: (f) => on(f, 'backup', 'nosuchfamily', '--out', path.join(f.dir, 'never.cbk')),
    code: USAGE,
    says: /^error: Unknown family "nosuchfamily"/,
    after: (f) => expect(existsSync(path.join(f.dir, 'never.cbk'))).toBe(false),
  },
  {
    input: 'placeholder value missing (whole family)',
    args: (f) => on(f, 'invalidate', 'convMapping'),
    code: REFUSED,
    says: /^error: Refusing to delete every key of family convMapping/,
  },
  {
    input: 'unknown placeholder',
    args: (f) => on(f, 'invalidate', 'convMapping', '--nosuch', 'x', '--yes'),
    code: USAGE,
    says: /^error: Family "convMapping" has no placeholder "nosuch"/,
  },
  {
    input: 'placeholder flag without a value',
    args: (f) => on(f, 'invalidate', 'convMapping', '--conversationId'),
    code: USAGE,
    says: /^error: --conversationId needs a value/,
  },
  {
    input: 'clear-user 12 (not a phone number)',
    args: (f) => on(f, 'clear-user', '12'),
    code: 0,
    kind: 'warning',
    says: /^warning: "12" is used as a plain id: not a valid international phone number$/,
  },
  {
    input: 'clear-user +999abc',
    args: (f) => on(f, 'clear-user', '+999abc'),
    code: 0,
    kind: 'warning',
    says: /^warning: "\+999abc" is used as a plain id: not a valid international phone number$/,
  },
  {
    input: 'clear-user 12 --country ZA',
    args: (f) => on(f, 'clear-user', '12', '--country', 'ZA'),
    code: USAGE,
    says: /^error: "12" is not a valid ZA phone number/,
  },
  {
    input: 'clear-user with an unknown country',
    args: (f) => on(f, 'clear-user', '821234567', '--country', 'XX'),
    code: USAGE,
    says: /^error: Unknown country "XX"/,
  },
  { input: 'clear-user ""', args: (f) => on(f, 'clear-user', ''), code: USAGE, says: /^error: Empty user id/ },
  { input: 'empty pattern', args: (f) => on(f, 'invalidate', 'pattern', '', '--yes'), code: USAGE, says: /^error: Empty glob after "pattern"/ },
  {
    input: "invalidate pattern '*' without --yes",
    args: (f) => ['--redis-url', f.ownUrl, '--config', f.cfg, 'invalidate', 'pattern', '*'],
    server: 'own',
    code: REFUSED,
    says: /^error: Refusing to delete every key matching \*: pattern \* selects every key/,
  },

  // --- config file -------------------------------------------------------------------------------
  {
    input: 'config: not JSON',
    args: (f) => withConfig(f, 'bad.json', 'clear-all', '--yes'),
    code: USAGE,
    says: /^error: Config file bad\.json is not valid JSON: Unexpected token '\}'$/,
  },
  {
    input: 'config: not JSON, a password next to the error',
    args: (f) => withConfig(f, 'secret.json', 'clear-all', '--yes'),
    code: USAGE,
    says: /^error: Config file secret\.json is not valid JSON: Unexpected token 'B'$/,
  },
  {
    input: 'config: empty file',
    args: (f) => withConfig(f, 'empty.json', 'clear-all', '--yes'),
    code: USAGE,
    says: /^error: Config file empty\.json is not valid JSON: Unexpected end of JSON input/,
  },
  {
    input: 'config: a JSON array',
    args: (f) => withConfig(f, 'array.json', 'clear-all', '--yes'),
    code: USAGE,
    says: /^error: Config file array\.json must hold a JSON object/,
  },
  {
    input: 'config: unknown key',
    args: (f) => withConfig(f, 'unknown-key.json', 'clear-all', '--yes'),
    code: USAGE,
    says: /^error: Config file unknown-key\.json: \(top level\): Unrecognized key: "nosuch"/,
  },
  {
    input: 'config: wrong type',
    args: (f) => withConfig(f, 'wrong-type.json', 'clear-all', '--yes'),
    code: USAGE,
    says: /^error: Config file wrong-type\.json: scan\.count: Invalid input: expected number, received string/,
  },
  {
    input: 'config: template with unbalanced braces',
    args: (f) => withConfig(f, 'template.json', 'clear-all', '--yes'),
    code: USAGE,
    says: /^error: Config file template\.json: families\.userState\.template: unclosed "\{" at position \d+/,
  },
  {
    input: 'config: --config file missing',
    args: (f) => withConfig(f, 'missing.json', 'clear-all', '--yes'),
    code: USAGE,
    says: /^error: Config file not found: .*missing\.json/,
  },
  {
    input: 'config: CACHECTL_CONFIG file missing',
    args: (f) => ['--redis-url', f.url, 'clear-all', '--yes'],
    env: (f) => ({ CACHECTL_CONFIG: path.join(f.dir, 'missing.json') }),
    code: USAGE,
    says: /^error: Config file not found: .*missing\.json/,
  },
  {
    input: 'config: a folder',
    args: (f) => ['--redis-url', f.url, '--config', f.dir, 'clear-all', '--yes'],
    code: USAGE,
    says: /^error: The config file .* is a folder, not a regular file/,
  },

  // --- cron --------------------------------------------------------------------------------------
  {
    input: 'schedule: invalid cron_restart',
    args: (f) => on(f, 'schedule', '--ecosystem', path.join(f.dir, 'ecosystem.config.cjs')),
    code: 1,
    kind: 'report',
    says: /fail: hours value out of range: '25'/,
  },
  {
    input: 'schedule: ecosystem file missing',
    args: (f) => on(f, 'schedule', '--ecosystem', path.join(f.dir, 'no-ecosystem.cjs')),
    code: USAGE,
    says: /^error: ecosystem file not found: /,
  },
  {
    input: 'schedule: unknown time zone',
    args: (f) => on(f, 'schedule', '--ecosystem', path.join(f.dir, 'ecosystem.config.cjs'), '--tz', 'Mars/Olympus'),
    code: USAGE,
    says: /^error: unknown time zone "Mars\/Olympus"/,
  },
  {
    input: 'config: invalid maintenance.schedule (doctor)',
    args: (f) => withConfig(f, 'bad-cron.json', 'doctor'),
    code: 1,
    kind: 'report',
    says: /FAIL\s+Scheduled maintenance\s+maintenance\.schedule "61 \* \* \* \*" \(UTC\) is invalid: minutes value out of range: '61'/,
  },

  // --- backup files ------------------------------------------------------------------------------
  {
    input: 'restore: file missing',
    args: (f) => on(f, 'restore', path.join(f.dir, 'missing.cbk'), '--yes'),
    code: USAGE,
    says: /^error: The backup file .*missing\.cbk does not exist/,
  },
  {
    input: 'restore: not a backup (random bytes)',
    args: (f) => on(f, 'restore', path.join(f.dir, 'random.cbk'), '--yes'),
    code: USAGE,
    says: /^error: .*random\.cbk is not a cachectl backup file \(bad magic\)/,
  },
  {
    input: 'restore: not a backup (short text)',
    args: (f) => on(f, 'restore', path.join(f.dir, 'text.cbk'), '--yes'),
    code: USAGE,
    says: /^error: .*text\.cbk is not a cachectl backup file \(the file is too short to be a cachectl backup\)/,
  },
  {
    input: 'restore: truncated gzip',
    args: (f) => on(f, 'restore', path.join(f.dir, 'truncated.cbk.gz'), '--yes', '--replace'),
    code: USAGE,
    says: /^error: Backup file .*truncated\.cbk\.gz is truncated: the file ends inside the header \(the compressed data ends early\)/,
  },
  {
    input: 'restore: a folder',
    args: (f) => on(f, 'restore', f.dir, '--yes'),
    code: USAGE,
    says: /^error: The backup file .* is a folder, not a regular file/,
  },
  {
    input: 'restore: permission denied',
    skip: isRoot,
    args: (f) => on(f, 'restore', path.join(f.dir, 'locked.cbk.gz'), '--yes'),
    code: USAGE,
    says: /^error: Cannot read backup file .*locked\.cbk\.gz \(EACCES\)/,
  },
  {
    input: 'restore: keys exist, no --replace',
    args: (f) => on(f, 'restore', path.join(f.dir, 'ok.cbk.gz'), '--yes'),
    code: 0,
    kind: 'report',
    says: /^skipped: 2 exist already \(--replace overwrites them\)$/m,
  },
  {
    input: 'restore --replace without --yes',
    args: (f) => on(f, 'restore', path.join(f.dir, 'ok.cbk.gz'), '--replace'),
    code: REFUSED,
    says: /^error: Refusing to restore 2 keys from ok\.cbk\.gz into .*overwriting keys that exist on .* without confirmation/,
  },
  {
    input: 'restore --ttl-mode bogus',
    args: (f) => on(f, 'restore', path.join(f.dir, 'ok.cbk.gz'), '--yes', '--ttl-mode', 'bogus'),
    code: USAGE,
    says: /^error: option '--ttl-mode <mode>' argument 'bogus' is invalid\. Allowed choices are keep, none\./,
  },
  {
    input: 'backup: output file exists',
    args: (f) => on(f, 'backup', 'pattern', `${f.P}*`, '--out', path.join(f.dir, 'ok.cbk.gz')),
    code: USAGE,
    says: /^error: Backup file .*ok\.cbk\.gz already exists/,
    after: (f) => expect(readFileSync(path.join(f.dir, 'ok.cbk.gz')).equals(okBackup)).toBe(true),
  },

  // --- queues ------------------------------------------------------------------------------------
  {
    input: 'queue that does not exist (inspect)',
    args: (f) => on(f, 'queues', 'inspect', 'nosuchqueue'),
    code: USAGE,
    says: /^error: No queue "nosuchqueue" under prefix .*bull \(queues found: .*bull:inbound\)/,
  },
  {
    input: 'queue that does not exist (drain)',
    args: (f) => on(f, 'queues', 'drain', 'nosuchqueue', '--yes'),
    code: USAGE,
    says: /^error: No queue "nosuchqueue" under prefix/,
  },
  {
    input: 'queue that does not exist (obliterate)',
    args: (f) => on(f, 'queues', 'obliterate', 'nosuchqueue', '--yes'),
    code: USAGE,
    says: /^error: No queue "nosuchqueue" under prefix/,
  },
  {
    input: 'queues clean --state bogus',
    args: (f) => on(f, 'queues', 'clean', f.queue, '--state', 'bogus', '--yes'),
    code: USAGE,
    says: /^error: option '--state <state>' argument 'bogus' is invalid\. Unknown state "bogus"/,
  },
];

let fx: Fixture;
let shared: Redis;
let own: ServerHandle;
let ownClient: Redis;
let okBackup: Buffer;
let before: Snapshot;
let ownBefore: Snapshot;
const seen: Array<{ input: string; command: string; code: number; stdout: string; stderr: string }> = [];

type Snapshot = Array<[key: string, dump: string, hasTtl: boolean]>;

/** Every key under `match` with its DUMP payload and whether it has a TTL, in key order. */
async function snapshot(client: Redis, match: string): Promise<Snapshot> {
  const keys: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, page] = await client.scanBuffer(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next.toString();
    keys.push(...page);
  } while (cursor !== '0');
  const rows: Snapshot = [];
  for (const key of keys) {
    const [dump, pttl] = await Promise.all([client.dumpBuffer(key), client.pttl(key)]);
    rows.push([key.toString('hex'), dump ? dump.toString('hex') : 'gone', pttl >= 0]);
  }
  return rows.sort((a, b) => a[0].localeCompare(b[0]));
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function seed(client: Redis, P: string): Promise<void> {
  await client
    .multi()
    .set(`${P}user:state:+27821234567`, '{"step":"menu"}', 'EX', 3600)
    .hset(`${P}user:state:27821234567`, 'step', 'greeting', 'lang', 'en')
    .set(`${P}tenant:default:mapping:conv:abc-123`, '{"communication_id":null}', 'EX', 3600)
    .set(`${P}tenant:acme:mapping:conv:abc-123`, '{"communication_id":"c-9"}')
    .set(`${P}tenant:acme:mapping:wa:+27821234567`, 'conv-abc-123', 'EX', 3600)
    .rpush(`${P}chats:dev-1:chat-1`, 'm1', 'm2')
    .expire(`${P}chats:dev-1:chat-1`, 300)
    .sadd(`${P}context:STORY-1:a`, 'x', 'y')
    .zadd(`${P}context:STORY-1:b`, 1, 'one', 2, 'two')
    .set(`${P}unknown:thing`, 'belongs to no family')
    .set(Buffer.from([...Buffer.from(`${P}bin:`), 0xff, 0x00, 0x0a]), Buffer.from([0xde, 0xad]))
    .exec();
}

beforeAll(async () => {
  const url = inject('servers').redis.url;
  const P = randomPrefix('badin');
  const dir = mkdtempSync(path.join(tmpdir(), 'cachectl-bad-input-'));
  own = await startServer();
  fx = { url, ownUrl: own.url, P, dir, cfg: path.join(dir, 'cachectl.config.json'), queue: 'inbound', closedPort: await closedPort() };

  // Every default family name is redefined under the prefix: a row that wrongly ran would hit these.
  const config = {
    tenants: ['acme'],
    families: {
      userState: { template: `${P}user:state:{phone}`, user: 'phone', ttlSeconds: 86400 },
      convMapping: { template: `${P}tenant:{tenant}:mapping:conv:{conversationId}` },
      waMapping: { template: `${P}tenant:{tenant}:mapping:wa:{waId}`, user: 'waId' },
      chatList: { template: `${P}chats:{deviceId}:{chatId}`, clearOnDeploy: true },
      context: { template: `${P}context:{storyId}*`, clearOnDeploy: true },
      restored: { template: `${P}restore:{id}` },
    },
    queues: { prefixes: [`${P}bull`] },
    safety: { confirmAbove: 100000 },
    logs: { dir: path.join(dir, 'logs') },
  };
  writeFileSync(fx.cfg, JSON.stringify(config));
  writeFileSync(path.join(dir, 'bad.json'), '{"tenants": ["acme",}');
  // V8's JSON error quotes the text around the mistake: here, the unquoted password.
  writeFileSync(path.join(dir, 'secret.json'), `{"redis": {"url": "${url}", "password": ${SECRET}}}`);
  writeFileSync(path.join(dir, 'empty.json'), '');
  writeFileSync(path.join(dir, 'array.json'), '[]');
  writeFileSync(path.join(dir, 'unknown-key.json'), JSON.stringify({ ...config, nosuch: 1 }));
  writeFileSync(path.join(dir, 'wrong-type.json'), JSON.stringify({ ...config, scan: { count: 'many' } }));
  writeFileSync(
    path.join(dir, 'template.json'),
    JSON.stringify({ ...config, families: { ...config.families, userState: { template: `${P}user:{phone`, user: 'phone' } } }),
  );
  writeFileSync(path.join(dir, 'bad-cron.json'), JSON.stringify({ ...config, maintenance: { schedule: '61 * * * *' } }));
  writeFileSync(
    path.join(dir, 'ecosystem.config.cjs'),
    `module.exports = { apps: [{ name: 'cache_cleanup', script: './bin/cachectl.js', args: 'clear-old --hours 168 --yes', cron_restart: '0 25 * * *', autorestart: false }] };\n`,
  );

  shared = new Redis(url);
  await seed(shared, P);
  const queueConnection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(fx.queue, { connection: queueConnection, prefix: `${P}bull` });
  await queue.add('send', { to: '+27821234567' });
  await queue.add('send', { to: '+27820000000' });
  await queue.add('later', { to: '+27821111111' }, { delay: 3_600_000 });
  await queue.close();
  await queueConnection.quit();

  // A backup of two keys, which are then changed: restoring without --replace must keep the new values.
  await shared.set(`${P}restore:one`, 'v1', 'EX', 3600);
  await shared.set(`${P}restore:two`, 'v1');
  const made = await runCli(on(fx, 'backup', 'restored', '--out', path.join(dir, 'ok.cbk.gz')), { cwd: dir });
  expect(made.code, made.stderr).toBe(0);
  await shared.set(`${P}restore:one`, 'v2', 'KEEPTTL');
  await shared.set(`${P}restore:two`, 'v2');
  okBackup = readFileSync(path.join(dir, 'ok.cbk.gz'));
  writeFileSync(path.join(dir, 'truncated.cbk.gz'), okBackup.subarray(0, Math.floor(okBackup.length / 2)));
  writeFileSync(path.join(dir, 'random.cbk'), Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37 + 11) % 256)));
  writeFileSync(path.join(dir, 'text.cbk'), 'hello\n');
  writeFileSync(path.join(dir, 'locked.cbk.gz'), okBackup);
  chmodSync(path.join(dir, 'locked.cbk.gz'), 0o000);

  ownClient = new Redis(own.url);
  await seed(ownClient, 'own:');

  before = await snapshot(shared, `${P}*`);
  ownBefore = await snapshot(ownClient, '*');
  // The seed is what the comparisons stand on: 10 keys + the restore pair + the queue's keys.
  expect(before.length).toBeGreaterThan(15);
  expect(ownBefore.length).toBe(10);
});

afterAll(async () => {
  if (process.env.CACHECTL_BAD_INPUT_DUMP) writeFileSync(process.env.CACHECTL_BAD_INPUT_DUMP, JSON.stringify(seen, null, 2));
  if (shared && fx) {
    for (const [hex] of await snapshot(shared, `${fx.P}*`)) await shared.unlink(Buffer.from(hex, 'hex'));
  }
  shared?.disconnect();
  ownClient?.disconnect();
  await own?.stop();
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

function expectShape(result: CliResult, row: Row): void {
  const kind = row.kind ?? 'error';
  for (const stream of [result.stdout, result.stderr]) {
    expect(stream).not.toMatch(/^\s+at /m); // no stack trace
    expect(stream).not.toMatch(/unexpected failure/);
    expect(stream).not.toContain(SECRET.slice(0, 9)); // not even the part V8 would quote
  }
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  if (kind === 'report') {
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(row.says);
    return;
  }
  if (kind === 'warning') {
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(row.says);
    return;
  }
  expect(result.stdout).toBe('');
  expect(result.stderr.endsWith('\n')).toBe(true);
  expect(lines.length === 1 || lines.length === 2, `stderr is one message line (+ one hint):\n${result.stderr}`).toBe(true);
  expect(lines[0]).toMatch(/^error: \S/);
  expect(lines[0]).toMatch(row.says);
  if (lines.length === 2) expect(lines[1]).toMatch(/^hint: \S/);
}

describe('bad input: a clear message, a documented exit code, nothing modified', () => {
  for (const row of rows) {
    // Root reads any file: the permission row only means something for other users.
    (row.skip ? it.skip : it)(row.input, async () => {
      const args = row.args(fx);
      const result = await runCli(args, { cwd: fx.dir, env: row.env?.(fx) });
      seen.push({ input: row.input, command: args.join(' '), code: result.code, stdout: result.stdout, stderr: result.stderr });
      expectShape(result, row);
      expect(result.code, result.stderr || result.stdout).toBe(row.code);
      expect(await snapshot(shared, `${fx.P}*`)).toEqual(before);
      if (row.server === 'own') expect(await snapshot(ownClient, '*')).toEqual(ownBefore);
      row.after?.(fx);
    });
  }
});

describe('bad input through the built binary', () => {
  // Node prints its own two-line DeprecationWarning when TLS is given an IP address as server name.
  it('rediss:// to an IP address that refuses: the --tls-insecure warning, the error and hint only, exit 3', async () => {
    const result = await spawnCli(['--redis-url', `rediss://127.0.0.1:${fx.closedPort}`, '--tls-insecure', '--config', fx.cfg, 'ping'], { cwd: fx.dir });
    expect(result.stderr).not.toMatch(/DeprecationWarning|trace-deprecation/);
    expect(result.stderr.split('\n').filter((l) => l !== '')).toEqual([
      expect.stringMatching(/^warning: --tls-insecure: /),
      expect.stringMatching(/^error: Cannot connect to Redis at rediss:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/),
      expect.stringMatching(/^hint: /),
    ]);
    expect(result.code).toBe(3);
  });
});
