/**
 * The repository root, found from this file whether it runs from source (bench/*.ts, through the tests'
 * TypeScript loader) or compiled (dist-bench/bench/*.js, `npm run bench`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root = path.dirname(fileURLToPath(import.meta.url));
while (!fs.existsSync(path.join(root, 'package.json')) && path.dirname(root) !== root) root = path.dirname(root);

/** A path inside the repository. */
export const repoPath = (...parts: string[]): string => path.join(root, ...parts);
