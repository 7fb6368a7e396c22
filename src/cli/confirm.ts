/**
 * The confirmation prompt of the safety lifecycle: on a terminal it says where (server, database,
 * mode), what (the selection), how much (the estimate and how it was made) and why it asks, then
 * waits for "y". Without a terminal it refuses: scripts confirm with `--yes`. Refusals are
 * `SafetyError` (exit 4) and happen before anything is touched.
 */
import { createInterface } from 'node:readline';
import { describeEstimate } from '../core/safety/assess.js';
import type { ConfirmPrompt } from '../core/safety/lifecycle.js';
import { SafetyError } from '../errors.js';
import { redact } from '../redact.js';
import type { CliContext } from './context.js';

/** Resolve when the run may go ahead; throw `SafetyError` otherwise. */
export async function promptConfirm(ctx: CliContext, prompt: ConfirmPrompt): Promise<void> {
  const { stdin, stderr } = ctx.environment.streams;
  const why = prompt.reasons.join('; ');
  if (!stdin.isTTY || !stderr.isTTY) {
    throw new SafetyError(`Refusing to ${prompt.action} on ${prompt.server} without confirmation${why ? ` (${why})` : ''}`, {
      hint: 'no terminal to ask on: add --yes to confirm, or --dry-run to see what would be removed; nothing was changed',
    });
  }
  const c = ctx.output.color;
  const lines = [
    `About to ${c.bold(prompt.action)}`,
    `  server:  ${prompt.server}`,
    ...(prompt.estimate ? [`  size:    ${describeEstimate(prompt.estimate)}`] : []),
    ...prompt.reasons.filter((r) => !prompt.estimate || !r.startsWith(describeEstimate(prompt.estimate))).map((r) => `  why:     ${r}`),
  ];
  ctx.output.clearProgress();
  stderr.write(redact(`${lines.join('\n')}\n`));
  const answer = await ask(stdin, stderr, 'Continue? [y/N] ');
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
