// Types of seed.mjs, for the TypeScript tests that reuse it.
export function seedCache(
  url: string,
  options?: { users?: number },
): Promise<{ users: number; staleConversation: string; tenants: string[]; samplePhone: string }>;
export function seedQueue(
  url: string,
  name?: string,
  counts?: { done?: number; failing?: number; waiting?: number },
): Promise<{ name: string; done: number; failing: number; waiting: number }>;
