/**
 * Human-readable sizes and durations, shared by the stats summary, messages and the CLI tables.
 */

const UNITS = ['B', 'K', 'M', 'G', 'T'];

/**
 * `1234567` → `1,234,567`: what `toLocaleString('en-US')` prints (at most three decimals), written
 * out because the first locale call loads the ICU data, ~12 ms a command would wait for.
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n) || Math.abs(n) >= 1e21) return String(n);
  const text = String(Math.abs(n));
  const [whole, fraction] = (
    /\.\d{4}/.test(text)
      ? Math.abs(n)
          .toFixed(3)
          .replace(/\.?0+$/, '')
      : text
  ).split('.') as [string, string | undefined];
  const grouped = whole.replace(/\B(?=(\d{3})+$)/g, ',');
  return `${n < 0 || Object.is(n, -0) ? '-' : ''}${grouped}${fraction ? `.${fraction}` : ''}`;
}

/** `1.50M` style, like INFO's `used_memory_human`. */
export function humanBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)}B` : `${value.toFixed(2)}${UNITS[unit]}`;
}

/** `1536` → `1.5 KiB` (a file, a free-space figure, a process's memory). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The largest whole unit only, for narrow columns (uptimes): `45s`, `12m`, `5h`, `3d`. */
export function shortDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** `45s`, `12m`, `5h 3m`, `3d 4h`. */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}
