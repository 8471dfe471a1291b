// The in-page SQL runner's worker: loads the engine (WebAssembly) on the first
// Run and answers the page's requests. Running in a worker keeps the page
// responsive whatever the SQL does; the engine's step budget stops runaway
// queries. Nothing is fetched but the two files next to this one.
/* global wasm_bindgen */
'use strict';

// Must match [preprocessor.ormcompare] in book.toml (max-rows, shown-rows, max-steps).
const LIMITS = { maxRows: 200, shownRows: 12, maxSteps: 20000000 };

let ready = null;
let runner = null;

function load() {
  if (!ready) {
    ready = (async () => {
      const started = performance.now();
      importScripts('demo_engine_web.js');
      await wasm_bindgen({ module_or_path: 'demo_engine_web_bg.wasm' });
      runner = new wasm_bindgen.Runner(LIMITS.maxRows, LIMITS.shownRows, BigInt(LIMITS.maxSteps));
      return performance.now() - started;
    })();
  }
  return ready;
}

self.onmessage = async (event) => {
  const request = event.data;
  try {
    const loadMs = await load();
    const started = performance.now();
    let answer;
    if (request.op === 'reset') {
      runner.reset();
      answer = { status: 'ok', html: [] };
    } else {
      answer = JSON.parse(runner.run(
        request.before || '[]',
        request.sql,
        request.params || '',
        !!request.many,
        !!request.keep,
      ));
    }
    answer.engineMs = performance.now() - started;
    answer.loadMs = loadMs;
    self.postMessage({ id: request.id, answer });
  } catch (error) {
    self.postMessage({
      id: request.id,
      answer: { status: 'error', message: `the in-page runner failed: ${error}`, statement: 0 },
    });
  }
};
