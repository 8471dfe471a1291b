// Shared by the browser tests and the browser benchmark: a static server for
// the built book on 127.0.0.1 (workers and WebAssembly need http, not file://)
// and a Chromium launched the way this machine allows.
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const BOOK = process.env.BOOK_DIR || path.resolve(__dirname, '../../book');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// The preprocessor scripts/test built (its `islands-loaded` reads a page as the tests do).
const PREPROCESSOR = process.env.PREPROCESSOR
  || path.resolve(__dirname, '../../preprocessor/target/release/mdbook-ormcompare');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf',
};

/** Serves BOOK; resolves to { origin, close, served } (served: paths requested). */
function serveBook() {
  const served = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    served.push(url.pathname);
    let file = path.join(BOOK, decodeURIComponent(url.pathname));
    if (!file.startsWith(BOOK)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
      res.end(data);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const origin = `http://127.0.0.1:${server.address().port}`;
      resolve({ origin, served, close: () => new Promise((done) => server.close(done)) });
    });
  });
}

async function launch() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (.ci/run does)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

const SHOTS = process.env.SCREENSHOT_DIR || path.join(__dirname, 'screenshots');

/**
 * For a test file: starts Chromium and the book's server before its tests and
 * stops them after. `open(file, viewport)` loads a page and collects its
 * problems (console errors, page errors, requests outside the site).
 */
function useBook(hooks) {
  const state = { browser: null, site: null };
  hooks.before(async () => {
    state.browser = await launch();
    state.site = await serveBook();
    fs.mkdirSync(SHOTS, { recursive: true });
  });
  hooks.after(async () => {
    if (state.browser) await state.browser.close();
    if (state.site) await state.site.close();
  });
  state.open = async (file, viewport = { width: 1400, height: 1000 }) => {
    const page = await state.browser.newPage({ viewport });
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('request', (r) => {
      if (!r.url().startsWith(state.site.origin)) problems.push(`request outside the site: ${r.url()}`);
    });
    await page.goto(`${state.site.origin}/${file}`);
    return { page, problems };
  };
  return state;
}

// Statements whose rows belong to the server that answers them (object ids, its
// version, its settings): the PostgreSQL replays check that they run, not their rows.
const SERVER_OWN = /pg_catalog|information_schema|\bversion\(\)|current_setting|current_schema|\bSHOW\b|pg_get_|::regclass|\boid\b/i;

module.exports = { BOOK, PREPROCESSOR, SHOTS, SERVER_OWN, serveBook, launch, useBook };
