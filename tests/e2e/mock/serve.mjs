// Serves the page against the JS stand-in of the wasm module, for working on the page without
// a Rust toolchain:  node tests/e2e/mock/serve.mjs [port]   (default 8765)
// then e.g.  BASE_URL=http://127.0.0.1:8765/ ALLOW_MOCK=1 node --test tests/e2e/
// Layout served: / -> index.html, /www/* -> www/, /pkg/instatok.js -> this folder's mock,
// /vendor/uPlot.* -> node_modules/uplot/dist/.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const port = Number(process.argv[2] || process.env.PORT || 8765);
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.wasm': 'application/wasm', '.json': 'application/json' };

function locate(pathname) {
  const p = normalize(decodeURIComponent(pathname)).replace(/^(\.\.[/\\])+/, '');
  if (p === '/' || p === '/index.html') return join(root, 'index.html');
  if (p === '/pkg/instatok.js') return join(here, 'instatok.js');
  if (p.startsWith('/www/')) return join(root, p);
  if (p.startsWith('/vendor/uPlot.')) return join(root, 'node_modules/uplot/dist', p.slice('/vendor/'.length));
  return null;
}

createServer(async (req, res) => {
  const file = locate(new URL(req.url, 'http://x').pathname);
  try {
    if (!file || !file.startsWith(root)) throw new Error('not found');
    const body = await readFile(file);
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store' });
    res.end(body);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  }
}).listen(port, '127.0.0.1', () => console.log(`mock site on http://127.0.0.1:${port}/ (Ctrl-C to stop)`));
