// Types for the part of croner 4 we call. croner 4 ships typings, but its package.json "exports"
// does not point at them, so NodeNext resolution cannot find them.
declare module 'croner' {
  interface CronOptions {
    timezone?: string;
  }
  interface CronJob {
    /** The next `n` runs after `previous` (fewer when the pattern runs out). */
    enumerate(n: number, previous?: Date): Date[];
    next(previous?: Date): Date | null;
  }
  function Cron(pattern: string | Date, options?: CronOptions): CronJob;
  export default Cron;
}
