// Build step: copy non-TypeScript assets (server-side Lua scripts) from src/ to dist/.
import { cpSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ASSETS = new Set(['.lua']);

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) walk(file);
    else if (ASSETS.has(path.extname(name))) {
      const target = path.join(root, 'dist', path.relative(path.join(root, 'src'), file));
      cpSync(file, target);
    }
  }
}
walk(path.join(root, 'src'));
