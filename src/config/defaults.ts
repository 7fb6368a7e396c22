/**
 * Default key families: the layouts of a WhatsApp / Genesys messaging back end (DESIGN.md §2).
 * A config file adds families, overrides these by name, or removes one with `"name": false`.
 */
import type { ConfigInput } from './schema.js';

type FamilyInput = Exclude<NonNullable<ConfigInput['families']>[string], false>;

export const DEFAULT_FAMILIES: Record<string, FamilyInput> = {
  userState: {
    template: 'user:state:{phone}',
    description: 'Per-user WhatsApp conversation state',
    user: 'phone',
    userFormat: 'any',
    ttlSeconds: 86400,
  },
  convMapping: {
    template: 'tenant:{tenant}:mapping:conv:{conversationId}',
    description: 'Conversation id to WhatsApp / Genesys mapping, per tenant',
    ttlSeconds: 86400,
  },
  waMapping: {
    template: 'tenant:{tenant}:mapping:wa:{waId}',
    description: 'WhatsApp id to conversation mapping, per tenant',
    user: 'waId',
    userFormat: 'any',
    ttlSeconds: 86400,
  },
  chatList: {
    template: 'chats:{deviceId}:{chatId}',
    description: 'Chat-list cache per device',
    ttlSeconds: 300,
    clearOnDeploy: true,
  },
  context: {
    template: 'context:{storyId}*',
    description: 'Context caches per story',
    ttlSeconds: 3600,
    clearOnDeploy: true,
  },
};

/** The tenant that unresolved requests fall back to; always part of the tenant list. */
export const DEFAULT_TENANT = 'default';

/** File looked up in the working directory when `--config` is not given. */
export const CONFIG_FILE_NAME = 'cachectl.config.json';
