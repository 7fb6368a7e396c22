// The one "is this key protected?" decision: queue prefixes, cachectl's own namespace and the own
// keys configured outside it (custom stream names and the keys the listener keeps beside them),
// and a tenant restriction.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { compileGlob } from '../../src/core/glob.js';
import { KeyGuard } from '../../src/core/guard.js';
import type { ScriptArg } from '../../src/core/scripts/index.js';

const key = (text: string) => Buffer.from(text, 'utf8');

describe('KeyGuard', () => {
  it('protects every key under a queue prefix and under the namespace, nothing else', () => {
    const guard = new KeyGuard(resolveConfig({ queues: { prefixes: ['bull', '{bull}'] } }));
    expect(guard.protection(key('bull:mail:wait'))).toBe('queue');
    expect(guard.protection(key('{bull}:mail:1'))).toBe('queue');
    expect(guard.protection(key('cachectl:maintenance:lock'))).toBe('own');
    expect(guard.protection(key('cachectl:invalidations:trimmed{cachectl:invalidations}'))).toBe('own');
    expect(guard.protection(key('bullish:x'))).toBeUndefined();
    expect(guard.protection(key('cachectlx'))).toBeUndefined();
    expect(guard.protection(key('context:S-1'))).toBeUndefined();
  });

  it('follows a custom namespace', () => {
    const guard = new KeyGuard(resolveConfig({ namespace: 'ops' }));
    expect(guard.protection(key('ops:maintenance:runs'))).toBe('own');
    expect(guard.protection(key('ops:invalidations:dead'))).toBe('own');
    expect(guard.protection(key('cachectl:maintenance:lock'))).toBeUndefined();
  });

  it('streams named outside the namespace: the streams and the keys kept beside them are own keys, exactly', () => {
    const guard = new KeyGuard(resolveConfig({ invalidation: { stream: 'events', deadLetterStream: 'events-dead' } }));
    for (const own of ['events', 'events-dead', 'events:trimmed{events}', 'events-dead:sources{events-dead}']) {
      expect(guard.protection(key(own)), own).toBe('own');
    }
    expect(guard.protection(key('events:other'))).toBeUndefined();
    expect(guard.protection(key('eventsx'))).toBeUndefined();
  });

  it('a tenant restriction leaves everything outside the tenant alone', () => {
    const guard = new KeyGuard(resolveConfig({}), { tenant: 'acme' });
    expect(guard.protection(key('tenant:acme:mapping:conv:1'))).toBeUndefined();
    expect(guard.protection(key('tenant:globex:mapping:conv:1'))).toBe('outside');
  });

  describe('as step arguments, narrowed to what a MATCH filter lets through', () => {
    // The step script's reading of the arguments (key-rules.part.lua: read_guard, guard_of).
    const decide = (args: ScriptArg[], k: Buffer) => {
      const [required, count, ...pairs] = args as [string | Buffer, number, ...Array<string | Buffer>];
      const bytes = (v: string | Buffer) => Buffer.from(v);
      if (bytes(required).length > 0 && !k.subarray(0, bytes(required).length).equals(bytes(required))) return 'outside';
      for (let i = 0; i < count; i++) {
        const kind = String(pairs[2 * i]);
        const text = bytes(pairs[2 * i + 1]!);
        if (kind === 'e' ? k.equals(text) : k.subarray(0, text.length).equals(text)) return kind === 'q' ? 'queue' : kind === 'e' ? 'own' : 'own';
      }
      return undefined;
    };
    const config = resolveConfig({ queues: { prefixes: ['bull', '{bull}'] }, invalidation: { stream: 'events' } });
    const tails = ['', 'x', 'bull:', ':1', 'acme:conv:1', 'events', 'cachectl:lock', '{bull}:q:1', 'x:y:z'];
    const heads = [
      '',
      'b',
      'bu',
      'bull',
      'bull:',
      'bull:mail:',
      '{bull}:',
      'c',
      'cachectl',
      'cachectl:',
      'cachectl:maintenance:',
      'e',
      'events',
      'tenant:',
      'tenant:acme:',
      'tenant:acme:conv:',
      'tenant:globex:',
      'context:',
    ];

    it('decides every key the filter lets through exactly as the full guard does', () => {
      for (const tenant of [undefined, 'acme']) {
        const guard = new KeyGuard(config, tenant ? { tenant } : {});
        for (const head of heads) {
          for (const glob of [`${head}*`, `${head}?*`, `${head}[a-z]*`]) {
            const match = key(glob);
            const matches = compileGlob(match);
            const args = guard.scriptArgs(match);
            for (const a of [...heads, ...tails]) {
              for (const b of tails) {
                const k = key(head + a + b);
                if (!matches(k)) continue;
                expect(decide(args, k), `${glob} ${k.toString()} tenant ${tenant}`).toBe(guard.protection(k));
              }
            }
          }
        }
      }
    });

    it('sends nothing the filter makes impossible (a pattern outside every protected prefix: no entry at all)', () => {
      const guard = new KeyGuard(config);
      expect(guard.scriptArgs(key('context:*'))).toEqual(['', 0]);
      expect(guard.scriptArgs(key('bull:mail:*'))).toEqual(['', 1, 'q', key('bull:')]);
      expect(guard.scriptArgs(key('b*')).length).toBe(4);
      expect(guard.scriptArgs()[1]).toBe(5); // without a filter: both queue prefixes, the namespace, two own keys
      const tenant = new KeyGuard(config, { tenant: 'acme' });
      expect(tenant.scriptArgs(key('tenant:acme:conv:*'))).toEqual(['', 0]);
      expect(tenant.scriptArgs(key('tenant:*'))[0]).toEqual(key('tenant:acme:'));
    });
  });
});
