/**
 * The CA file given with `--tls-ca`: a bounded read of a regular file that must hold at least one
 * PEM certificate that parses. A private key, a CSR or a public key given by mistake is named as
 * what it is (Node would only say later that the server "is not trusted").
 */
import { X509Certificate } from 'node:crypto';
import { MIB, readInputFile } from '../input-file.js';
import { UsageError } from '../errors.js';

const CA_MAX_BYTES = MIB;
const HINT = 'give --tls-ca the PEM file of the CA certificate that signed the server certificate';

const NOT_A_CERTIFICATE: Array<[RegExp, string]> = [
  [/-----BEGIN (RSA |EC |ENCRYPTED |DSA |OPENSSH )?PRIVATE KEY-----/, 'a private key'],
  [/-----BEGIN (NEW )?CERTIFICATE REQUEST-----/, 'a certificate signing request (CSR)'],
  [/-----BEGIN (RSA )?PUBLIC KEY-----/, 'a public key'],
];

/** Read and check the CA file; returns its bytes for the TLS options. */
export function readTlsCa(file: string): Buffer {
  const bytes = readInputFile(file, { what: 'TLS CA file', maxBytes: CA_MAX_BYTES, option: '--tls-ca' });
  const text = bytes.toString('latin1');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    const other = NOT_A_CERTIFICATE.find(([pattern]) => pattern.test(text));
    const what = other ? other[1] : text.includes('-----BEGIN ') ? 'a PEM file without a certificate' : 'not a PEM file';
    throw new UsageError(`The TLS CA file ${file} is ${what}, not a CA certificate`, { hint: HINT });
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new UsageError(`The TLS CA file ${file} holds a certificate that does not parse`, { hint: HINT, cause: error });
    }
  }
  return bytes;
}
