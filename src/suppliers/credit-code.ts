/**
 * 统一社会信用代码 (unified social credit code), GB 32100-2015.
 *
 * 18 characters: registration authority (1), organisation type (1), administrative area code (6),
 * organisation code (9) and one check character. The charset leaves out I, O, Z, S and V so that
 * codes cannot be misread as 1, 0, 2, 5 and U.
 */

export const CREDIT_CODE_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

// Weight of position i is 3^i mod 31, as defined by the standard.
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

const CODE_LENGTH = 18;

/**
 * The check character for the first 17 characters of a code.
 * Throws on input that is not 17 characters from the charset: a check character for it would be
 * meaningless, and silently returning one would hide the caller's bug.
 */
export function creditCodeCheckChar(first17: string): string {
  if (first17.length !== CODE_LENGTH - 1) {
    throw new RangeError(`expected 17 characters, got ${first17.length}`);
  }
  let sum = 0;
  for (let i = 0; i < WEIGHTS.length; i++) {
    const value = CREDIT_CODE_CHARSET.indexOf(first17[i]);
    if (value < 0) {
      throw new RangeError(`character ${JSON.stringify(first17[i])} is not allowed in a credit code`);
    }
    sum += value * WEIGHTS[i];
  }
  // A remainder of 0 maps to check value 0, not 31, hence the outer modulo.
  return CREDIT_CODE_CHARSET[(31 - (sum % 31)) % 31];
}

/** True when the code is 18 uppercase charset characters with a correct check character. */
export function isValidCreditCode(code: string): boolean {
  if (typeof code !== 'string' || code.length !== CODE_LENGTH) return false;
  for (const ch of code) {
    if (!CREDIT_CODE_CHARSET.includes(ch)) return false;
  }
  return creditCodeCheckChar(code.slice(0, CODE_LENGTH - 1)) === code[CODE_LENGTH - 1];
}

/**
 * What people type or paste (stray spaces, lowercase) turned into the canonical form.
 * It does not validate: pass the result to isValidCreditCode.
 */
export function normalizeCreditCode(input: string): string {
  return input.trim().toUpperCase();
}
