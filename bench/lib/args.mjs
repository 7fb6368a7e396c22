// Command-line flags of the benchmark scripts: `--keys 200000`, `--cluster`, `--only clean`.

function raw(name) {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return undefined;
  const value = process.argv[at + 1];
  return value === undefined || value.startsWith('--') ? true : value;
}

/** A positive whole number (`--keys 200000`); exits 2 with a message when it is not one. */
export function numberFlag(name, fallback) {
  const value = raw(name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} needs a positive whole number`);
    process.exit(2);
  }
  return n;
}

/** A switch (`--cluster`). */
export function booleanFlag(name) {
  return raw(name) === true;
}

/** A word (`--only clean`). */
export function stringFlag(name, fallback) {
  const value = raw(name);
  return typeof value === 'string' ? value : fallback;
}
