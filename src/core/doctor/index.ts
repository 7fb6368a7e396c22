/**
 * `doctor`: health checks with pass / warn / fail and a hint each (see run.ts).
 */
export { runDoctor, doctorUnreachable } from './run.js';
export { CHECK_TITLES, type CheckFinding, type CheckId, type CheckStatus, type DoctorCheck, type DoctorOptions, type DoctorResult } from './types.js';
