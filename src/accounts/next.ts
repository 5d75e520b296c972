/**
 * Where to go after login: only a path on this site. Accepted: a single `/` followed by a character that
 * is neither `/` nor `\`, with no control character, backslash or whitespace anywhere, neither as given
 * nor after percent-decoding (repeatedly), and resolving to this origin. Anything else → the default.
 */
const BASE = 'http://this-site.invalid';
// Control characters (C0, DEL, C1), whitespace (incl. Unicode line/paragraph separators) and backslashes.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\s\\\u2028\u2029\ufeff]/;

function acceptable(path: string): boolean {
  return path.length > 1 && path[0] === '/' && path[1] !== '/' && path[1] !== '\\' && !FORBIDDEN.test(path);
}

export function safeNext(next: unknown, fallback = '/'): string {
  if (typeof next !== 'string' || next.length > 2000 || !acceptable(next)) return fallback;
  let decoded = next;
  for (let i = 0; i < 5; i++) {
    let step: string;
    try {
      step = decodeURIComponent(decoded);
    } catch {
      return fallback;
    }
    if (!acceptable(step)) return fallback;
    if (step === decoded) break;
    decoded = step;
  }
  try {
    const url = new URL(next, BASE);
    if (url.origin !== BASE) return fallback;
  } catch {
    return fallback;
  }
  return next;
}
