/**
 * Links made from what companies type: a website only when it is an http(s) address, an e-mail only when it
 * looks like one (mailto:). Anything else is shown as text, never as a link (no javascript: and the like).
 */

/** The href of a website, or '' when it is not an http(s) address. */
export function websiteHref(value: unknown): string {
  if (typeof value !== 'string' || !value.trim()) return '';
  try {
    const url = new URL(value.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : '';
  } catch {
    return '';
  }
}

/** The mailto: href of an e-mail address, or '' when it does not look like one. */
export function mailHref(value: unknown): string {
  if (typeof value !== 'string') return '';
  const email = value.trim();
  return /^[^\s@<>"'(),;:]+@[^\s@<>"'(),;:]+\.[^\s@<>"'(),;:]+$/.test(email) ? `mailto:${email}` : '';
}
