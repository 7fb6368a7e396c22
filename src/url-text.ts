/**
 * cachectl's own reader for server URLs (`redis://user:password@host:port/db`).
 *
 * People paste passwords without encoding them, so a password may hold `/ ? # @ :`. The standard
 * reading wins when it gives a usable URL; otherwise the userinfo runs up to the `@` that is
 * followed by a valid host with no `@` after it. Anything shown to a person is rebuilt from the
 * parts (`maskedUrl`), never cut out of the text given, so a URL that does not read cannot leak.
 */

export interface UrlParts {
  scheme: string;
  /** Decoded user name and password, when the URL has userinfo. */
  username: string | undefined;
  password: string | undefined;
  /** Host without IPv6 brackets. */
  host: string;
  /** The port as written ('' when absent). */
  port: string;
  /** The path after the host, without the leading `/` (the database number). */
  path: string;
}

/** Why a URL does not read as a server URL. */
export type UrlProblem = 'syntax' | 'no-host' | 'bad-host' | 'port-nan' | 'port-range' | 'bad-db';

export type UrlReading = { ok: true; parts: UrlParts } | { ok: false; problem: UrlProblem; parts: Partial<UrlParts> };

const MASK = '***';
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/is;
const HOST = /^(?:\[[0-9a-f:.]+\]|[\p{L}\p{N}_.-]+)$/iu;

/** Decode `%XX` runs that form valid UTF-8; a stray `%` is kept as written. */
export function decodeLenient(text: string): string {
  return text.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

interface RawParts {
  userinfo: string | undefined;
  hostText: string;
  port: string;
  path: string;
}

/** Split `rest` (after `scheme://`) with `@` at `at` (-1: no userinfo). */
function split(rest: string, at: number): RawParts {
  const userinfo = at < 0 ? undefined : rest.slice(0, at);
  const after = rest.slice(at + 1);
  const end = after.search(/[/?#]/);
  const authority = end < 0 ? after : after.slice(0, end);
  const tail = end < 0 ? '' : after.slice(end);
  const pathText = tail.startsWith('/') ? tail.slice(1).split(/[?#]/)[0]! : '';
  const v6 = /^(\[[^\]]*\])(?::(.*))?$/.exec(authority);
  const colon = authority.lastIndexOf(':');
  const hostText = v6 ? v6[1]! : colon < 0 ? authority : authority.slice(0, colon);
  const port = v6 ? (v6[2] ?? '') : colon < 0 ? '' : authority.slice(colon + 1);
  return { userinfo, hostText, port, path: pathText };
}

function problemOf(raw: RawParts): UrlProblem | undefined {
  if (raw.hostText === '') return 'no-host';
  if (!HOST.test(raw.hostText)) return 'bad-host';
  if (raw.port !== '' && !/^\d+$/.test(raw.port)) return 'port-nan';
  if (raw.port !== '' && (Number(raw.port) < 1 || Number(raw.port) > 65535)) return 'port-range';
  if (raw.path !== '' && !/^\d{1,9}$/.test(raw.path)) return 'bad-db';
  return undefined;
}

function toParts(scheme: string, raw: RawParts): UrlParts {
  let username: string | undefined;
  let password: string | undefined;
  if (raw.userinfo !== undefined) {
    const colon = raw.userinfo.indexOf(':');
    const user = colon < 0 ? raw.userinfo : raw.userinfo.slice(0, colon);
    username = user === '' ? undefined : decodeLenient(user);
    password = colon < 0 || colon === raw.userinfo.length - 1 ? undefined : decodeLenient(raw.userinfo.slice(colon + 1));
  }
  return { scheme, username, password, host: raw.hostText.replace(/^\[(.*)\]$/, '$1'), port: raw.port, path: raw.path };
}

/** Read a server URL into its parts, or say what is wrong with it. */
export function readUrl(text: string): UrlReading {
  const match = SCHEME.exec(text.trim());
  if (!match) return { ok: false, problem: 'syntax', parts: {} };
  const scheme = match[1]!.toLowerCase();
  const rest = match[2]!;
  // The standard reading: the authority ends at the first / ? #, userinfo up to its last @.
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const standard = split(rest, authority.lastIndexOf('@'));
  const standardProblem = problemOf(standard);
  if (!standardProblem) return { ok: true, parts: toParts(scheme, standard) };
  // A password with an unencoded / ? # @: the first @ followed by a valid host and no other @.
  for (let at = rest.indexOf('@'); at >= 0; at = rest.indexOf('@', at + 1)) {
    if (at < authority.length) continue;
    const after = rest.slice(at + 1);
    if (after.includes('@')) continue;
    const lenient = split(rest, at);
    if (!problemOf(lenient)) return { ok: true, parts: toParts(scheme, lenient) };
    const problem = problemOf(lenient)!;
    return { ok: false, problem, parts: toParts(scheme, lenient) };
  }
  return { ok: false, problem: standardProblem, parts: toParts(scheme, standard) };
}

/** Rebuild a URL from its parts: password masked, query and fragment dropped. */
export function maskedUrl(parts: Partial<UrlParts>, options: { maskUserinfo?: boolean; maskPort?: boolean } = {}): string {
  const scheme = parts.scheme ?? 'redis';
  let userinfo = '';
  if (options.maskUserinfo && (parts.username !== undefined || parts.password !== undefined)) userinfo = `${MASK}@`;
  else if (parts.username !== undefined || parts.password !== undefined) {
    userinfo = `${parts.username === undefined ? '' : encodeURIComponent(parts.username)}${parts.password === undefined ? '' : `:${MASK}`}@`;
  }
  const host = parts.host === undefined ? '' : parts.host.includes(':') ? `[${parts.host}]` : parts.host;
  const port = !parts.port ? '' : options.maskPort || !/^\d+$/.test(parts.port) ? `:${MASK}` : `:${parts.port}`;
  const path = parts.path ? `/${/^\d+$/.test(parts.path) ? parts.path : MASK}` : '';
  return `${scheme}://${userinfo}${host}${port}${path}`;
}

/** A URL safe to print, whatever the text: never the password, the query, or unread userinfo. */
export function displayServerUrl(text: string): string {
  const reading = readUrl(text);
  if (reading.ok) return maskedUrl(reading.parts);
  if (reading.problem === 'syntax') return text.includes('@') || text.includes('?') ? MASK : text.slice(0, 200);
  const host = reading.parts.host ?? '';
  return maskedUrl(
    { ...reading.parts, host: HOST.test(host) || host.includes(':') ? host : MASK },
    { maskUserinfo: true, maskPort: reading.problem === 'port-nan' },
  );
}
