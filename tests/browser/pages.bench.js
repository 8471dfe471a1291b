// Page benchmark (run by scripts/bench-pages): how the built book reads and
// loads. Prints figures; asserts nothing.
//
// - the height from the top of the first N+1 panel to the end of its first side's
//   result, at 1440x900 (the answer should be within the first screen);
// - the tallest panel of the book, and the height of migrations.html, at 1440x900;
// - the heaviest chapter's HTML, the search index, the elements of a page;
// - Lighthouse's mobile performance score for three pages, served gzipped by a
//   small static server (Lighthouse 12, from .tools/lighthouse).
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');
const { pathToFileURL } = require('node:url');
const { BOOK, launch } = require('./support');

const LIGHTHOUSE_PAGES = ['index.html', 'n-plus-one.html', 'migrations.html'];

// The built book, gzipped, as a real host would serve it.
function serveGzipped() {
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
    '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
    '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf', '.png': 'image/png' };
  const server = http.createServer((req, res) => {
    let file = path.join(BOOK, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!file.startsWith(BOOK)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404).end(); return; }
      const type = types[path.extname(file)] || 'application/octet-stream';
      const zip = !type.startsWith('image/') && !type.startsWith('font/woff');
      res.writeHead(200, { 'content-type': type, 'cache-control': 'max-age=3600',
        ...(zip ? { 'content-encoding': 'gzip' } : {}) });
      res.end(zip ? zlib.gzipSync(data) : data);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () =>
    resolve({ origin: `http://127.0.0.1:${server.address().port}`, close: () => server.close() })));
}

async function layout(browser, origin) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${origin}/n-plus-one.html`);
  const answer = await page.evaluate(() => {
    const panel = document.querySelector('.ormc-compare');
    const result = panel.querySelector('.ormc-side .ormc-result');
    return Math.round(result.getBoundingClientRect().bottom - panel.getBoundingClientRect().top);
  });
  const pages = fs.readdirSync(BOOK).filter((f) => f.endsWith('.html') && !['print.html', '404.html', 'toc.html'].includes(f));
  let tallest = { height: 0 };
  let migrations = 0;
  const elements = {};
  for (const file of pages) {
    await page.goto(`${origin}/${file}`);
    const found = await page.evaluate(() => ({
      panels: [...document.querySelectorAll('.ormc-compare')].map((p) => ({ id: p.id, height: Math.round(p.getBoundingClientRect().height) })),
      page: document.documentElement.scrollHeight,
      elements: document.getElementsByTagName('*').length,
    }));
    for (const panel of found.panels) {
      if (panel.height > tallest.height) tallest = { ...panel, file };
    }
    if (file === 'migrations.html') migrations = found.page;
    elements[file] = found.elements;
  }
  await page.close();
  return { answer, tallest, migrations, elements };
}

async function lighthouseScores(origin) {
  // ES modules, found where scripts/bench-pages installed them.
  const modules = process.env.LIGHTHOUSE_MODULES;
  const load = (file) => import(pathToFileURL(path.join(modules, file)).href);
  const lighthouse = (await load('lighthouse/core/index.js')).default;
  const chromeLauncher = await load('chrome-launcher/dist/index.js');
  const chrome = await chromeLauncher.launch({
    chromePath: process.env.CHROME_PATH || '/usr/bin/chromium',
    chromeFlags: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const scores = {};
  try {
    for (const file of LIGHTHOUSE_PAGES) {
      const result = await lighthouse(`${origin}/${file}`, {
        port: chrome.port, onlyCategories: ['performance'], output: 'json', logLevel: 'error',
      });
      const audits = result.lhr.audits;
      scores[file] = {
        performance: Math.round(result.lhr.categories.performance.score * 100),
        fcp: audits['first-contentful-paint'].displayValue,
        lcp: audits['largest-contentful-paint'].displayValue,
        tbt: audits['total-blocking-time'].displayValue,
        cls: audits['cumulative-layout-shift'].displayValue,
      };
    }
  } finally {
    await chrome.kill();
  }
  return scores;
}

(async () => {
  const site = await serveGzipped();
  const browser = await launch();
  const measured = await layout(browser, site.origin);
  await browser.close();
  const sizes = fs.readdirSync(BOOK).filter((f) => f.endsWith('.html') && !['print.html', 'toc.html', '404.html'].includes(f))
    .map((f) => ({ f, bytes: fs.statSync(path.join(BOOK, f)).size })).sort((a, b) => b.bytes - a.bytes);
  const index = fs.readdirSync(BOOK).find((f) => /^searchindex.*\.js$/.test(f));
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log('at 1440x900:');
  console.log(`  top of the first n-plus-one panel to the end of its first side's result: ${measured.answer}px (goal: 900px)`);
  console.log(`  tallest panel: ${measured.tallest.height}px (${measured.tallest.file} #${measured.tallest.id})`);
  console.log(`  migrations.html: ${measured.migrations}px, ${(measured.migrations / 900).toFixed(1)} screens`);
  console.log(`heaviest chapters: ${sizes.slice(0, 3).map((s) => `${s.f} ${kb(s.bytes)}`).join(', ')} (goal: under 150 KB)`);
  console.log(`search index: ${index} ${kb(fs.statSync(path.join(BOOK, index)).size)}`);
  console.log(`elements: ${['index.html', 'n-plus-one.html', 'migrations.html'].map((f) => `${f} ${measured.elements[f]}`).join(', ')}`);
  if (!process.env.NO_LIGHTHOUSE) {
    const scores = await lighthouseScores(site.origin);
    console.log('Lighthouse 12, mobile, performance (served gzipped; goal: 90):');
    for (const [file, s] of Object.entries(scores)) {
      console.log(`  ${file}: ${s.performance}  (FCP ${s.fcp}, LCP ${s.lcp}, TBT ${s.tbt}, CLS ${s.cls})`);
    }
  }
  site.close();
})().catch((error) => { console.error(error); process.exit(1); });
