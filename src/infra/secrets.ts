import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * SESSION_SECRET, or one generated on first start and kept in DATA_DIR so sessions survive a restart.
 * Several instances must share one: set SESSION_SECRET for them.
 */
export function sessionSecretFor(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = path.join(dataDir, 'session-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    fs.mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(32).toString('hex');
    fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
    return secret;
  }
}
