/** Keys the listener keeps beside its streams (defined with cachectl's other own keys). */
export { deadLetterIndexKey, trimmedKey } from '../records/own-keys.js';
