/**
 * The confirmation prompt of the safety lifecycle: on a terminal it says where (server, database,
 * mode, context), what (the selection), how much (the estimate and how it was made) and why it
 * asks, then waits for "y" — or, on a production context, for the context's name typed out.
 * Without a terminal it refuses: scripts confirm with `--yes`. Refusals are `SafetyError` (exit 4)
 * and happen before anything is touched.
 */
import { createInterface } from 'node:readline';
import { describeEstimate } from '../core/safety/assess.js';
import type { ConfirmPrompt } from '../core/safety/lifecycle.js';
import { SafetyError } from '../errors.js';
import { displayUrl, redact } from '../redact.js';
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
  const context = ctx.config().context;
  const lines = [
    `About to ${c.bold(prompt.action)}`,
    ...(context ? [`  context: ${context.name} (${displayUrl(context.url)})${context.production ? ` ${c.bold('PRODUCTION')}` : ''}`] : []),
    `  server:  ${prompt.server}`,
    ...(prompt.estimate ? [`  size:    ${describeEstimate(prompt.estimate)}`] : []),
    ...prompt.reasons.filter((r) => !prompt.estimate || !r.startsWith(describeEstimate(prompt.estimate))).map((r) => `  why:     ${r}`),
  ];
  ctx.output.clearProgress();
  stderr.write(redact(`${lines.join('\n')}\n`));
  if (context?.production) {
    const typed = await ask(stdin, stderr, `Type the context name (${context.name}) to continue: `);
    if (typed.trim() !== context.name) {
      throw new SafetyError(`Cancelled: "${typed.trim()}" is not the context name; nothing was changed`, {
        hint: `type ${context.name} exactly to go ahead on this production context, or use --dry-run to look first`,
      });
    }
    return;
  }
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
