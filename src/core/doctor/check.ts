/**
 * Building a check from its findings: the status is the worst finding, the message names the
 * findings that are not fine (or says all is well), and a hint is attached to warn/fail.
 */
import { CHECK_TITLES, worst, type CheckFinding, type CheckId, type CheckStatus, type DoctorCheck } from './types.js';

export interface CheckText {
  /** Message when every finding passes. */
  pass: string;
  /** What to do when something warns or fails. */
  hint: string;
  /** Message when there is nothing to judge (status `skip`). */
  skip?: string;
}

/** A check whose status is the worst of its findings. */
export function fromFindings(id: CheckId, findings: CheckFinding[], text: CheckText): DoctorCheck {
  const status = worst(
    findings.map((f) => f.status),
    text.skip ? 'skip' : 'pass',
  );
  const bad = findings.filter((f) => f.status === 'fail' || f.status === 'warn');
  const message =
    status === 'skip' ? (text.skip ?? 'nothing to check') : bad.length === 0 ? text.pass : bad.map((f) => `${f.subject}: ${f.message}`).join('; ');
  return { id, title: CHECK_TITLES[id], status, message, hint: status === 'warn' || status === 'fail' ? text.hint : null, findings };
}

/** A check with one verdict and no findings. */
export function verdict(id: CheckId, status: CheckStatus, message: string, hint: string | null = null): DoctorCheck {
  return {
    id,
    title: CHECK_TITLES[id],
    status,
    message,
    hint: status === 'warn' || status === 'fail' ? (hint ?? 'see docs/stats-doctor.md') : hint,
    findings: [],
  };
}
