// Bundle the UI into dist/ (served by `storm serve --ui`): one script, one
// stylesheet, index.html. No source maps, no CDN, nothing fetched at run time.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });
await esbuild.build({
  entryPoints: { app: 'src/main.js' },
  bundle: true,
  minify: true,
  format: 'esm',
  splitting: true, // the graph libraries are a chunk of their own (src/graphlibs.js)
  chunkNames: 'chunk-[hash]',
  target: ['chrome110', 'firefox110', 'safari16'],
  outdir: 'dist',
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync('src/index.html', 'dist/index.html');
console.log('ui: built dist/ (index.html, app.js, app.css, chunks)');
