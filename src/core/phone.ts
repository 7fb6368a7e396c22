/**
 * Who `clear-user` is about: a phone number normalized to E.164 (`+27 82 123 4567`,
 * `27821234567` and `082 123 4567` with country ZA are one user), or, for anything that is not a
 * phone number, the value itself as a plain id.
 */
import { createRequire } from 'node:module';
import type { CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';
import { UsageError } from '../errors.js';

interface PhoneLibrary {
  isSupportedCountry: typeof isSupportedCountry;
  parsePhoneNumberFromString: typeof parsePhoneNumberFromString;
}
let library: PhoneLibrary | undefined;

/** libphonenumber-js (with its metadata), loaded on the first user id: only clear-user pays for it. */
function phoneLibrary(): PhoneLibrary {
  library ??= createRequire(import.meta.url)('libphonenumber-js') as PhoneLibrary;
  return library;
}

export interface UserSubject {
  /** What was given (trimmed). */
  input: string;
  kind: 'phone' | 'id';
  /** `+27821234567` (phones only). */
  e164?: string;
  /** `27821234567` (phones only). */
  digits?: string;
  /** Why a value that looks like a phone number was used as a plain id. */
  note?: string;
}

export interface NormalizeOptions {
  /** ISO 3166 country for numbers in national format (`082…`); then the value must be a valid number. */
  country?: string;
}

const PHONE_LIKE = /^\+?[\d\s().-]+$/;

/** Normalize a user reference. Invalid input with `country` (or an empty value) is a usage error. */
export function normalizeUser(value: string, options: NormalizeOptions = {}): UserSubject {
  const input = value.trim();
  if (input === '') throw new UsageError('Empty user id', { hint: 'give a phone number (+27 82 123 4567) or an id' });
  const { isSupportedCountry, parsePhoneNumberFromString } = phoneLibrary();
  if (options.country !== undefined) {
    const country = options.country.trim().toUpperCase();
    if (!isSupportedCountry(country)) {
      throw new UsageError(`Unknown country "${options.country}"`, { hint: 'give a two-letter ISO 3166 code such as ZA, US, GB' });
    }
    const parsed = parsePhoneNumberFromString(input, country as CountryCode);
    if (!parsed?.isValid()) {
      throw new UsageError(`"${input}" is not a valid ${country} phone number`, {
        hint: 'check the number, or drop --country to use the value as a plain id',
      });
    }
    return phone(input, parsed.number);
  }
  if (!PHONE_LIKE.test(input)) {
    // "+…" is meant as a phone number: say it was not one instead of using it silently.
    return input.startsWith('+') ? { input, kind: 'id', note: 'not a valid international phone number' } : { input, kind: 'id' };
  }
  const digits = input.replace(/\D/g, '');
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  if (parsed?.isValid()) return phone(input, parsed.number);
  const note = input.startsWith('0')
    ? 'looks like a national number: give --country (e.g. --country ZA) to normalize it'
    : 'not a valid international phone number';
  return { input, kind: 'id', note };
}

function phone(input: string, e164: string): UserSubject {
  return { input, kind: 'phone', e164, digits: e164.slice(1) };
}

/** The spellings of `subject` a family with `userFormat` stores keys under. */
export function userForms(subject: UserSubject, format: 'e164' | 'digits' | 'any'): string[] {
  if (subject.kind === 'id') return [subject.input];
  if (format === 'e164') return [subject.e164!];
  if (format === 'digits') return [subject.digits!];
  return [subject.e164!, subject.digits!];
}
