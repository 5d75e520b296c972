// `npm run bench` after compiling bench/ to dist-bench/: the product's modules compiled there
// (dist-bench/src/…) find seeds/, views/ and public/ one level up, as they do from dist/, so they are
// linked into dist-bench/ first; then the bench runs.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
for (const dir of ['seeds', 'views', 'public']) {
  const link = path.join(root, 'dist-bench', dir);
  if (!fs.existsSync(link)) fs.symlinkSync(path.join('..', dir), link);
}
await import('../dist-bench/bench/run.js');
