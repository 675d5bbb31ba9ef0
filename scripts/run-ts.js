#!/usr/bin/env node
// Runs a TypeScript entry point from the compiled `dist/` tree, building first when any source
// is newer than the build. (tsc is used rather than a loader: decorator metadata needs it.)
const { execFileSync } = require('node:child_process');
const { existsSync, statSync, readdirSync } = require('node:fs');
const { join, resolve } = require('node:path');

const root = resolve(__dirname, '..');
const stamp = join(root, 'dist', '.build-stamp');

function newestSource(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function ensureBuilt() {
  const sources = Math.max(...['gateway', 'subgraphs', 'scripts', 'bench'].map((d) => newestSource(join(root, d))));
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= sources) return;
  process.stderr.write('building (tsc)…\n');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
    cwd: root,
  });
  require('node:fs').writeFileSync(stamp, String(Date.now()));
}

module.exports = { ensureBuilt, root };

if (require.main === module) {
  const entry = process.argv[2];
  if (!entry) {
    console.error('usage: node scripts/run-ts.js <file.ts> [args…]');
    process.exit(2);
  }
  ensureBuilt();
  const compiled = join(root, 'dist', entry.replace(/\.ts$/, '.js'));
  process.argv.splice(1, 2, compiled);
  require(compiled);
}
