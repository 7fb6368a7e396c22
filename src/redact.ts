/**
 * Secrets never leave the process: every message, log line and JSON document that could carry a
 * password goes through `redact()` first.
 */

const MASK = '***';
const knownSecrets = new Set<string>();

/** Remember a secret (password, token) so that `redact()` masks it wherever it appears. */
export function registerSecret(secret: string | undefined | null): void {
  // Very short values would mask ordinary words; passwords that short are masked in URLs anyway.
  if (secret && secret.length >= 3) knownSecrets.add(secret);
}

/** Mask the password part of any `scheme://user:password@host` URL in the text. */
export function redactUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]*):([^\s@/]*)@/gi, (_match, scheme: string, user: string) => `${scheme}${user}:${MASK}@`);
}

/** Mask registered secrets and URL passwords in a piece of text. */
export function redact(text: string): string {
  let out = redactUrls(text);
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join(MASK);
  }
  return out;
}

/** A URL safe to print: no password, no query string (which may carry credentials). */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = MASK;
    parsed.search = '';
    return redact(parsed.toString());
  } catch {
    return redact(url);
  }
}
