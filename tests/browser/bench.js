// Browser benchmark of the in-page runner (run by scripts/bench-browser):
// download size, the first Run on a page (fetch, compile, database, query),
// and warm queries, measured in headless Chromium against the built book
// served on 127.0.0.1. Prints the figures; asserts nothing.
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { BOOK, serveBook, launch } = require('./support');

const ROUNDS = Number(process.env.ROUNDS || 15);

function gz(file) {
  return zlib.gzipSync(fs.readFileSync(path.join(BOOK, file)), { level: 9 }).length;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

(async () => {
  const wasm = gz('runner/demo_engine_web_bg.wasm');
  const glue = gz('runner/demo_engine_web.js') + gz('runner/worker.js');
  const browser = await launch();
  const site = await serveBook();
  const first = [];
  const load = [];
  let warm = [];
  let warmEngine = [];
  for (let round = 0; round < ROUNDS; round++) {
    // A new context each round: nothing cached from the previous one.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${site.origin}/how-to-read.html`);
    const timing = await page.evaluate(async () => {
      const statement = document.querySelector('#sql-read-row-counts .ormc-stmt');
      const t0 = performance.now();
      const answer = await window.ormcRun(statement);
      const firstMs = performance.now() - t0;
      const warmMs = [];
      const engineMs = [];
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        const again = await window.ormcRun(statement);
        warmMs.push(performance.now() - t);
        engineMs.push(again.engineMs);
      }
      return { firstMs, loadMs: answer.loadMs, warmMs, engineMs, status: answer.status };
    });
    if (timing.status !== 'ok') throw new Error('the benchmark query failed');
    first.push(timing.firstMs);
    load.push(timing.loadMs);
    warm = warm.concat(timing.warmMs);
    warmEngine = warmEngine.concat(timing.engineMs);
    await context.close();
  }
  await browser.close();
  await site.close();
  const kb = (n) => (n / 1024).toFixed(1);
  console.log(`rounds: ${ROUNDS} (medians)`);
  console.log(`download, gzipped: wasm ${kb(wasm)} KB + glue and worker ${kb(glue)} KB = ${kb(wasm + glue)} KB (budget 400 KB; sql.js ships 336 KB)`);
  console.log(`first Run on a page (click to rows: fetch, compile, database, query): ${median(first).toFixed(1)} ms (budget 300 ms)`);
  console.log(`  of which loading the engine in the worker: ${median(load).toFixed(1)} ms`);
  console.log(`warm query, round trip page -> worker -> page: ${median(warm).toFixed(2)} ms`);
  console.log(`warm query, engine time in the worker: ${median(warmEngine).toFixed(2)} ms (budget 5 ms)`);
})().catch((error) => { console.error(error); process.exit(1); });
