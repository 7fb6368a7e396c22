// What global setup hands to test files through vitest's provide()/inject().
// Must stay plain JSON: it is serialized to the worker processes.

export interface ProvidedServers {
  redis: { url: string; host: string; port: number };
  cluster: { url: string; masters: { host: string; port: number }[] };
  /** null when valkey-server is not installed locally (CI always installs it). */
  valkey: { url: string; host: string; port: number } | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    servers: ProvidedServers;
  }
}
