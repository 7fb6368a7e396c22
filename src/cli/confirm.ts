/**
 * The safety gate of destructive commands: on a terminal, ask; without one, require `--yes`.
 * Refusals are `SafetyError` (exit code 4) and happen before anything is touched.
 */
import { createInterface } from 'node:readline';
import { SafetyError } from '../errors.js';
import type { CliContext } from './context.js';

export interface ConfirmRequest {
  /** What will happen, in one line ("delete 12,345 keys matching user:state:* on 3 masters"). */
  action: string;
  /** Whether this run needs a confirmation at all (large, broad, or always-confirm commands). */
  needed: boolean;
  /** `--yes` was given. */
  yes: boolean;
}

/** Resolve when the run may go ahead; throw `SafetyError` otherwise. */
export async function confirmOrRefuse(ctx: CliContext, request: ConfirmRequest): Promise<void> {
  if (!request.needed || request.yes) return;
  const { stdin, stderr } = ctx.environment.streams;
  if (!stdin.isTTY || !stderr.isTTY) {
    throw new SafetyError(`Refusing to ${request.action} without confirmation`, {
      hint: 'no terminal to ask on: add --yes to confirm, or --dry-run to see what would be removed',
    });
  }
  const answer = await ask(stdin, stderr, `${request.action}. Continue? [y/N] `);
  if (!/^y(es)?$/i.test(answer.trim())) {
    throw new SafetyError('Cancelled: nothing was changed', { hint: 'answer "y" to go ahead, or use --dry-run to look first' });
  }
}

function ask(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, question: string): Promise<string> {
  const rl = createInterface({ input, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      // resolve before close(): 'close' fires synchronously and would settle with ''.
      resolve(answer);
      rl.close();
    });
    rl.once('close', () => resolve(''));
  });
}
