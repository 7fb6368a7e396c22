/**
 * Secrets never leave the process: every message, log line and JSON document that could carry a
 * password goes through `redact()` first.
 */
import { displayServerUrl } from './url-text.js';

const MASK = '***';
/** Each secret with its URL-encoded form (computed once; undefined when it has no other form). */
const knownSecrets = new Map<string, string | undefined>();

/** Remember a secret (password, token) so that `redact()` masks it wherever it appears. */
export function registerSecret(secret: string | undefined | null): void {
  // Very short values would mask ordinary words; passwords that short are masked in URLs anyway.
  if (!secret || secret.length < 3 || knownSecrets.has(secret)) return;
  let encoded: string | undefined;
  try {
    encoded = encodeURIComponent(secret);
  } catch {
    encoded = undefined; // a lone surrogate has no encoded form
  }
  knownSecrets.set(secret, encoded !== secret ? encoded : undefined);
}

/**
 * Mask the password of any `scheme://user:password@host` URL in the text. The userinfo runs up to
 * the last `@` before a space or a quote, so an unencoded `/` or `@` in a password is covered and
 * a JSON line stays intact.
 */
export function redactUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s"'`]*)@/gi, (match, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon < 0 ? match : `${scheme}${userinfo.slice(0, colon)}:${MASK}@`;
  });
}

/** Mask registered secrets and URL passwords in a piece of text. */
export function redact(text: string): string {
  let out = redactUrls(text);
  for (const [secret, encoded] of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
    if (encoded !== undefined && out.includes(encoded)) out = out.split(encoded).join(MASK);
  }
  return out;
}

/** A URL safe to print: no password, no query string (which may carry credentials). */
export function displayUrl(url: string): string {
  return redact(displayServerUrl(url));
}
