// The in-page SQL runner's worker: loads the engine (WebAssembly) on the first
// Run and answers the page's requests. Running in a worker keeps the page
// responsive whatever the SQL does; the engine's step budget stops runaway
// queries. Nothing is fetched but the files next to this one (the engine, its
// glue, and serve-requests.js, the message loop it shares with pg-worker.js).
//
// Requests (from theme/ormcompare.js): { op: 'plan', plans, side, from, to, sql,
// params, keep } replays a side's plan and runs some of its steps; { op: 'script',
// sql, keep } runs the reader's SQL; { op: 'reset', keep } forgets a kept copy.
// Every request carries `limits`, the JSON the build wrote from book.toml.
/* global wasm_bindgen */
'use strict';

let ready = null;
let runner = null;

function load(limits) {
  if (!ready) {
    ready = (async () => {
      const started = performance.now();
      importScripts('demo_engine_web.js');
      await wasm_bindgen({ module_or_path: 'demo_engine_web_bg.wasm' });
      runner = new wasm_bindgen.Runner(limits);
      return performance.now() - started;
    })();
  }
  return ready;
}

importScripts('serve-requests.js');

serveRequests(load, (request) => {
  if (request.op === 'reset') {
    runner.reset(request.keep || '');
    return { status: 'ok', html: [] };
  }
  if (request.op === 'plan') {
    return JSON.parse(runner.run_plan(
      request.plans, request.side, request.from, request.to,
      request.sql || '', request.params || '', request.keep || '',
    ));
  }
  return JSON.parse(runner.run_script(request.sql, request.keep || ''));
}, 'runner');
