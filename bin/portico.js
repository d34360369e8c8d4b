#!/usr/bin/env node
// The `portico` command. There is no separate build step between a checkout and a running
// server: on start, the TypeScript sources are bundled once into dist/portico.mjs with esbuild
// (installed with tsx) and rebuilt whenever a file under src/ is newer than the bundle. Running
// plain JavaScript instead of tsx's loader saves its loader thread and its compile work at
// every start (bench/startup.ts: idle memory and start time). If the bundle cannot be built
// (esbuild missing, read-only checkout), the sources run through tsx as before.
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// libuv's thread pool runs the argon2id hashes (19 MiB each). With its default 4 threads on a
// 2-core machine, four hashes at once evict each other from the CPU caches and take turns on
// the cores: the raw verify rate was ~174/s there against ~190/s with one thread per core,
// and sign-ins followed (bench/signin.ts). libuv reads UV_THREADPOOL_SIZE once, when the pool
// first starts, and on Node 20 that is before this line: node reads this ES module itself
// through the pool (fs.promises), so `portico serve` runs with libuv's 4 threads unless
// UV_THREADPOOL_SIZE is set in the real environment (measured on Node 20.20: 11 threads unset
// or at 4, 9 at 2). Which is also why it cannot come from `.env`, read later still. The line
// below is kept for a node that reads its entry module synchronously, where it would apply.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(2, availableParallelism()));

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');
const out = join(root, 'dist', 'portico.mjs');

/** The newest modification time of any source file (tests excluded; they are not bundled). */
function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (!e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function isFresh() {
  if (!existsSync(out) || !existsSync(`${out}.map`)) return false;
  const built = statSync(out).mtimeMs;
  return built >= newestSource(src) && built >= statSync(join(root, 'package.json')).mtimeMs && built >= statSync(import.meta.filename).mtimeMs;
}

async function build() {
  const esbuild = await import('esbuild');
  mkdirSync(dirname(out), { recursive: true });
  // Two files find the checkout from their own folder (web/dist, the package root); in the
  // bundle, import.meta.dirname is dist/, so point it back at the source file's folder.
  const keepDirname = {
    name: 'keep-import-meta-dirname',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const { readFile } = await import('node:fs/promises');
        let contents = await readFile(args.path, 'utf8');
        if (contents.includes('import.meta.dirname')) {
          const rel = relative(dirname(out), dirname(args.path)).split('\\').join('/');
          contents = contents.replaceAll('import.meta.dirname', `(import.meta.dirname + ${JSON.stringify('/' + rel)})`);
        }
        return { contents, loader: 'ts' };
      });
    },
  };
  // Written aside and renamed, so that two starts at once never run a half-written bundle.
  // The source map is a file beside the bundle (portico.mjs.map), with the mappings only:
  // stack traces still name the TypeScript file and line, but the process no longer holds the
  // map inline in the bundle's source text and every source file's text inside the map (about
  // 9 MB of resident memory: bench/startup.ts).
  const { outputFiles } = await esbuild.build({
    entryPoints: [join(src, 'cli', 'main.ts')],
    outfile: out,
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'silent',
    plugins: [keepDirname],
  });
  // The map first, so that a start that finds the new bundle finds its map too.
  for (const path of [`${out}.map`, out]) {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, outputFiles.find((f) => f.path === path).contents);
    renameSync(tmp, path);
  }
}

let bundled = false;
if (process.env.PORTICO_NO_BUNDLE !== '1') {
  try {
    if (!isFresh()) await build();
    bundled = true;
  } catch (error) {
    if (process.env.PORTICO_DEBUG_BUNDLE) console.error('portico: running through tsx, the bundle failed:', error);
  }
}
if (bundled) {
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(out).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
