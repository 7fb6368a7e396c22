/**
 * `cachectl publish <type> key=value …`: append an invalidation event to the stream `listen`
 * consumes (and to the pub/sub channel, if configured).
 */
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { publishInvalidation, type PublishResult } from '../../core/invalidation/publish.js';
import type { CliContext } from '../context.js';
import { logFormatOption } from '../log-format.js';
import type { Output } from '../output.js';

interface PublishFlags {
  data?: string;
  channel?: string | false;
  check?: boolean;
}

export function publishCommand(ctx: CliContext): Command {
  return new Command('publish')
    .description('publish an invalidation event (XADD to the invalidation stream; `listen` applies it)')
    .argument('<type>', 'event type, e.g. planning.story.transitioned')
    .argument('[fields...]', 'event fields as key=value (values are strings)')
    .option('--data <json>', 'event fields as a JSON object (merged under the key=value fields)')
    .addOption(new Option('--channel <name>', 'also PUBLISH on this pub/sub channel (default: invalidation.channel)'))
    .option('--no-channel', 'do not PUBLISH on the configured channel')
    .option('--no-check', "do not check the fields against this config's rules")
    .addOption(logFormatOption())
    .addHelpText(
      'after',
      `
Examples:
  $ cachectl publish planning.story.transitioned story_id=STORY-0042
  $ cachectl publish whatsapp.message deviceId=device-7
  $ cachectl publish conversation.correlated conversationId=abc-123 waId=+27821234567
  $ cachectl publish conversation.correlated --data '{"conversationId":"abc-123","waId":"+27821234567"}' --json

Exit codes: 0 published · 2 bad type, field or a field a rule needs is missing (nothing published) · 3 connection`,
    )
    .action(async (type: string, args: string[], flags: PublishFlags) => {
      const fields = { ...parseData(flags.data), ...parseFields(args) };
      const config = ctx.config();
      const connection = await ctx.connection();
      const result = await publishInvalidation(connection, config, type, fields, {
        ...(flags.channel !== undefined ? { channel: flags.channel } : {}),
        check: flags.check !== false,
      });
      if (result.rules === 0) ctx.output.warn(`no rule in this config handles "${type}": a listener with this config will count it as unmatched`);
      ctx.output.result(result, printPublish);
    });
}

/** Parse `key=value` arguments; a missing `=`, an empty or repeated key is a usage error. */
export function parseFields(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const at = arg.indexOf('=');
    const key = at > 0 ? arg.slice(0, at) : '';
    if (at <= 0 || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      throw new UsageError(`Expected key=value, got "${arg}"`, { hint: 'e.g. cachectl publish whatsapp.message deviceId=device-7' });
    }
    if (Object.prototype.hasOwnProperty.call(out, key)) throw new UsageError(`Field "${key}" given twice`, { hint: 'give each field once' });
    out[key] = arg.slice(at + 1);
  }
  return out;
}

function parseData(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--data is not valid JSON: ${(error as Error).message}`, { hint: `e.g. --data '{"deviceId":"device-7"}'` });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UsageError('--data must be a JSON object', { hint: `e.g. --data '{"deviceId":"device-7"}'` });
  }
  return data as Record<string, unknown>;
}

export function printPublish(result: PublishResult, out: Output): void {
  const rules = `${result.rules} rule${result.rules === 1 ? '' : 's'} handle${result.rules === 1 ? 's' : ''} it`;
  out.line(`published ${result.type} as ${result.id} to ${result.stream} (${rules})`);
  if (result.channel) out.line(`also on channel ${result.channel}: ${result.receivers} subscriber(s) received it`);
}
