// TLS: rediss:// against a TLS-only redis-server with a throwaway CA made by openssl. Verified with
// --tls-ca; an untrusted or mismatched certificate is a clear exit-3 error; nothing is touched.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { hasBinary, startServer, type ServerHandle } from '../helpers/servers.js';

const OPENSSL = hasBinary('openssl');
if (!OPENSSL) process.stderr.write('openssl not found: TLS tests skipped (scripts/install-servers.sh installs it)\n');
const describeTls = OPENSSL ? describe : describe.skip;

let dir: string;
const file = (name: string) => path.join(dir, name);

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, and a server certificate it signs for `san` (e.g. "IP:127.0.0.1,DNS:localhost"). */
async function makeCert(name: string, san: string): Promise<void> {
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  await writeFile(file(`${name}.ext`), `subjectAltName=${san}\n`);
  openssl([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.pem`,
    '-extfile',
    `${name}.ext`,
  ]);
}

describeTls(`TLS (rediss://)${OPENSSL ? '' : ' [skipped: openssl not found]'}`, () => {
  let good: ServerHandle;
  let mismatched: ServerHandle;
  let admin: Redis;
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cachectl-tls-'));
    openssl(['req', '-x509', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=cachectl test CA']);
    await makeCert('server', 'IP:127.0.0.1,DNS:localhost');
    await makeCert('other', 'DNS:other.invalid');
    const tls = (name: string) => ({ certFile: file(`${name}.pem`), keyFile: file(`${name}.key`), caFile: file('ca.pem') });
    [good, mismatched] = await Promise.all([startServer({ tls: tls('server') }), startServer({ tls: tls('other') })]);
    url = good.url;
    admin = new Redis({ host: '127.0.0.1', port: good.port, tls: { ca: await readFile(file('ca.pem')) } });
    await admin.mset('context:STORY-1:a', '1', 'context:STORY-1:b', '2', 'user:state:27820000001', 'x');
  });

  afterAll(async () => {
    await admin?.quit();
    await Promise.all([good?.stop(), mismatched?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the helper started a TLS-only server (plain redis:// is refused)', async () => {
    expect(url).toMatch(/^rediss:\/\//);
    const plain = await runCli(['ping', '--redis-url', url.replace('rediss://', 'redis://'), '--connect-timeout', '2s']);
    expect(plain.code).toBe(3);
  });

  it('ping, stats and a clear work with --tls-ca', async () => {
    const ping = await runCli(['ping', '--json', '--redis-url', url, '--tls-ca', file('ca.pem')]);
    expect(ping.code, ping.stderr).toBe(0);
    expect(JSON.parse(ping.stdout)).toMatchObject({ mode: 'standalone', totalKeys: 3 });
    const stats = await runCli(['stats', '--json', '--redis-url', url, '--tls-ca', file('ca.pem')]);
    expect(stats.code, stats.stderr).toBe(0);
    const cleared = await runCli(['invalidate', 'pattern', 'context:STORY-1:*', '--yes', '--json', '--redis-url', url, '--tls-ca', file('ca.pem')]);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(JSON.parse(cleared.stdout)).toMatchObject({ deleted: 2 });
    expect(await admin.exists('context:STORY-1:a', 'context:STORY-1:b', 'user:state:27820000001')).toBe(1);
    await admin.mset('context:STORY-1:a', '1', 'context:STORY-1:b', '2');
  });

  it('an untrusted certificate (no --tls-ca): exit 3, a certificate message and a hint, nothing touched', async () => {
    const before = await admin.dbsize();
    const result = await runCli(['invalidate', 'pattern', 'context:*', '--yes', '--redis-url', url]);
    expect(result.code).toBe(3);
    const [error, hint] = result.stderr.trim().split('\n');
    expect(error).toMatch(/^error: TLS connection to rediss:\/\/127\.0\.0\.1:\d+ failed: the server's certificate is not trusted/);
    expect(hint).toMatch(/^hint: .*--tls-ca.*--tls-insecure/);
    expect(await admin.dbsize()).toBe(before);
  });

  it('a certificate for another host name: exit 3, a host-name mismatch message', async () => {
    const result = await runCli(['ping', '--redis-url', mismatched.url, '--tls-ca', file('ca.pem')]);
    expect(result.code).toBe(3);
    const [error, hint] = result.stderr.trim().split('\n');
    expect(error).toMatch(/^error: TLS connection to .* failed: the certificate is for other\.invalid, not 127\.0\.0\.1/);
    expect(hint).toMatch(/^hint: /);
  });

  it('--tls-insecure connects without verifying (both servers), and warns every time', async () => {
    for (const target of [url, mismatched.url]) {
      const result = await runCli(['ping', '--json', '--redis-url', target, '--tls-insecure']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/^warning: --tls-insecure: the server's certificate is not verified/m);
    }
    // Also with --quiet, and when the setting comes from the config file.
    const quiet = await runCli(['ping', '--quiet', '--redis-url', url, '--tls-insecure']);
    expect(quiet.stderr).toMatch(/warning: --tls-insecure/);
    const config = file('insecure.json');
    await writeFile(config, JSON.stringify({ redis: { url, tls: { insecure: true } } }));
    const fromFile = await runCli(['ping', '--config', config]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stderr).toMatch(/warning: --tls-insecure/);
  });

  it('a PEM that is not a certificate given as --tls-ca is named as what it is (exit 2)', async () => {
    await writeFile(file('garbage.pem'), 'just some text\n');
    await writeFile(file('broken.pem'), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
    openssl(['pkey', '-in', 'server.key', '-pubout', '-out', 'server.pub']);
    const cases: Array<[string, RegExp]> = [
      ['server.key', /is a private key, not a CA certificate/],
      ['server.csr', /is a certificate signing request \(CSR\), not a CA certificate/],
      ['server.pub', /is a public key, not a CA certificate/],
      ['garbage.pem', /is not a PEM file, not a CA certificate/],
      ['broken.pem', /holds a certificate that does not parse/],
    ];
    for (const [name, message] of cases) {
      const result = await runCli(['ping', '--redis-url', url, '--tls-ca', file(name)]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });
});
