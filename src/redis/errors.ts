/**
 * Turn what ioredis and Node throw into cachectl errors with a cause and a hint.
 */
import { AuthError, CachectlError, ConnectionError, PermissionError, TimeoutError, TlsError } from '../errors.js';
import { printable } from '../printable.js';
import { redact } from '../redact.js';

const TLS_CODES = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);

/**
 * An ACL denial inside a script. Redis 7.0: "The user executing the script can't run this command
 * or subcommand" / "can't access at least one of the keys" / "can't publish to the channel";
 * Redis 7.2+ and Valkey: "ACL failure in script: …".
 */
const SCRIPT_ACL = /The user executing the script can't|can't run this command or subcommand|ACL failure in script/i;

/** True for a server reply that means the ACL denied a command (top level, in MULTI, or in a script). */
export function isAclDenial(message: string): boolean {
  return /(^|\s)NOPERM\b/.test(message) || SCRIPT_ACL.test(message);
}

/** What the ACL denied: a command, a key, or a channel. */
export type DenialKind = 'command' | 'key' | 'channel';

export function denialKind(message: string): DenialKind {
  if (/access (at least )?one of the keys|access a key|no permissions to access a key|keys used as arguments/i.test(message)) return 'key';
  if (/channel/i.test(message)) return 'channel';
  return 'command';
}

/**
 * Failures that come from talking to the server (a reply error, a command timeout, a lost
 * connection) rather than from a bug: they get a class and an exit code at the boundary.
 */
export function isRedisFailure(error: unknown): boolean {
  const e = error as { name?: string; message?: string; code?: string } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'ReplyError' || e.name === 'MaxRetriesPerRequestError' || e.name === 'ClusterAllFailedError') return true;
  if (NETWORK_CODES.has(e.code ?? '') || e.code === 'ETIMEDOUT') return true;
  return /^(NOPERM|WRONGPASS|NOAUTH|EXECABORT|LOADING|BUSY|READONLY|OOM|CLUSTERDOWN|MOVED|ASK)\b|Command timed out|Connection is closed|Stream isn't writeable|Reached the max retries|Failed to refresh slots cache|None of startup nodes/i.test(
    String(e.message),
  );
}

/** Keys a denied command sent (script keys, or the first argument of a keyed command), escaped. */
function sentKeys(command: { name?: string; args?: unknown[] } | undefined): string[] {
  if (!command?.args) return [];
  const name = (command.name ?? '').toLowerCase();
  const args = command.args.map((a) => (Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'utf8')));
  if (['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro'].includes(name)) {
    const count = Number(args[1]?.toString('latin1'));
    return Number.isInteger(count) && count > 0 ? args.slice(2, 2 + count).map((k) => printable(k)) : [];
  }
  return args.length > 0 ? [printable(args[0]!)] : [];
}

function listOf(keys: string[]): string {
  const shown = keys.slice(0, 3).join(', ');
  return keys.length > 3 ? `${shown} and ${keys.length - 3} more` : shown;
}

/** The denial inside a MULTI: ioredis keeps the queued commands' errors on EXECABORT. */
function denialInTransaction(error: unknown): unknown {
  const previous = (error as { previousErrors?: unknown[] } | null)?.previousErrors;
  if (!Array.isArray(previous)) return undefined;
  return previous.find((e) => isAclDenial(String((e as Error)?.message ?? e)));
}

function permissionError(error: unknown, message: string, target: string): PermissionError {
  const err = error as { command?: { name?: string; args?: unknown[] } };
  const inScript = SCRIPT_ACL.test(message);
  const kind = denialKind(message);
  const named = /permissions to run the '([^']+)' command/i.exec(message)?.[1];
  const command = named ?? (inScript ? undefined : err.command?.name);
  const keys = sentKeys(err.command);
  const where = inScript ? ' inside a server-side script' : '';
  let what: string;
  let hint: string;
  if (kind === 'key') {
    what = ` for a key${where}${keys.length > 0 ? ` (the command sent ${listOf(keys)})` : ''}`;
    hint = 'the user\'s key patterns (~pattern) do not cover these keys: extend them (README, "Least-privilege ACL users")';
  } else if (kind === 'channel') {
    what = ` for a channel${where}`;
    hint = 'the user\'s channel patterns (&pattern) do not cover it: add the channel (README, "Least-privilege ACL users")';
  } else {
    what = command ? ` for the '${command}' command${where}` : where ? ` for a command run${where}` : '';
    hint = command
      ? `grant '${command}' to this ACL user (see README, "Least-privilege ACL users")`
      : 'the server does not say which command: "ACL LOG" (as an admin) names it; grant this command group\'s commands (README, "Least-privilege ACL users")';
  }
  return new PermissionError(`Permission denied by the server's ACL at ${target}${what}`, { cause: error, hint });
}

const CONNECT_HINT = 'is the server running and reachable? set REDIS_URL or --redis-url';

/**
 * Classify an error from a Redis operation against `target` (already redacted).
 * Cachectl errors pass through unchanged.
 */
export function classifyRedisError(error: unknown, target: string): CachectlError {
  if (error instanceof CachectlError) return error;
  // ioredis reports a failed slot-map refresh as "Failed to refresh slots cache." and keeps the
  // node's reply aside: a denied CLUSTER SLOTS is an ACL problem, not a lost connection.
  const nodeError = (error as { lastNodeError?: unknown } | null)?.lastNodeError;
  if (nodeError && isAclDenial(String((nodeError as Error).message ?? nodeError))) return classifyRedisError(nodeError, target);
  const err = error as NodeJS.ErrnoException & { command?: { name?: string } };
  const message = redact(String(err?.message ?? error));
  const code = err?.code ?? '';

  const denied = denialInTransaction(error);
  if (denied) return classifyRedisError(denied, target);
  if (isAclDenial(message)) return permissionError(error, message, target);
  if (/WRONGPASS|invalid username-password pair|invalid password/i.test(message)) {
    return new AuthError(`Authentication failed at ${target} (wrong user name or password)`, {
      cause: error,
      hint: 'check the credentials in REDIS_URL or REDIS_PASSWORD',
    });
  }
  if (/NOAUTH|Authentication required/i.test(message)) {
    return new AuthError(`Authentication required by ${target}`, {
      cause: error,
      hint: 'set REDIS_PASSWORD, or user:password in REDIS_URL',
    });
  }
  if (/DB index is out of range|invalid DB index/i.test(message)) {
    return new ConnectionError(`Database index is out of range at ${target}`, {
      cause: error,
      hint: 'the /db part of the URL must be below the server\'s "databases" setting (cluster: only 0)',
    });
  }
  if (/Protocol error/i.test(message)) {
    return new ConnectionError(`${target} did not answer in the Redis protocol`, {
      cause: error,
      hint: 'check the host and port; a TLS-only server needs rediss://',
    });
  }
  if (TLS_CODES.has(code) || /\b(certificate|ssl|tls)\b/i.test(message)) {
    const tls = tlsProblem(code, err as TlsFailure);
    return new TlsError(`TLS connection to ${target} failed${tls ? `: ${tls.what}` : ''} (${code || message})`, {
      cause: error,
      hint: tls?.hint ?? 'check --tls-ca and that the certificate matches the host name; use rediss:// only for TLS servers',
    });
  }
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(message)) {
    return new TimeoutError(`Timed out talking to ${target} (${message})`, {
      cause: error,
      hint: 'the server is slow, paused or unreachable; raise --connect-timeout / --command-timeout if it is just slow',
    });
  }
  if (NETWORK_CODES.has(code)) {
    return new ConnectionError(`Cannot connect to Redis at ${target} (${code})`, { cause: error, hint: CONNECT_HINT });
  }
  if (/Connection is closed|Stream isn't writeable|enableOfflineQueue|ended|Failed to refresh slots cache|None of startup nodes/i.test(message)) {
    return new ConnectionError(`Lost the connection to ${target} (${message})`, { cause: error, hint: CONNECT_HINT });
  }
  return new CachectlError(`Redis error at ${target}: ${message}`, { cause: error });
}

/** What Node attaches to a failed certificate check. */
interface TlsFailure {
  host?: string;
  cert?: { subjectaltname?: string; subject?: { CN?: string } };
}

const UNTRUSTED = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']);
const INSECURE = '--tls-insecure skips verification (testing only)';

/** A plain-words cause and hint for the common certificate failures. */
function tlsProblem(code: string, err: TlsFailure): { what: string; hint: string } | undefined {
  if (UNTRUSTED.has(code)) {
    return {
      what: "the server's certificate is not trusted (signed by a CA this machine does not know)",
      hint: `give the CA that signed it: --tls-ca ca.pem; ${INSECURE}`,
    };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = (err.cert?.subjectaltname ?? (err.cert?.subject?.CN ? `DNS:${err.cert.subject.CN}` : ''))
      .split(',')
      .map((n) => n.trim().replace(/^(DNS|IP Address):/, ''))
      .filter(Boolean);
    return {
      what: `the certificate is for ${names.join(', ') || 'another host'}, not ${err.host ?? 'this host'}`,
      hint: `connect with a host name the certificate lists, or re-issue it with this host in subjectAltName; ${INSECURE}`,
    };
  }
  if (code === 'CERT_HAS_EXPIRED') return { what: "the server's certificate has expired", hint: `renew the server certificate; ${INSECURE}` };
  return undefined;
}
