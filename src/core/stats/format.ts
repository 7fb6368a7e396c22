/**
 * Human-readable sizes and durations, shared by the stats summary and the CLI tables.
 */

const UNITS = ['B', 'K', 'M', 'G', 'T'];

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

/** `45s`, `12m`, `5h 3m`, `3d 4h`. */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}
