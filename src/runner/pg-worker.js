// The in-page runner for PostgreSQL: PGlite (PostgreSQL compiled to WebAssembly),
// loaded on the first Run of a statement shown on PostgreSQL, from the book's own
// files (pglite/, made by scripts/lib.sh from the pinned npm package). It starts
// from a data folder prepared once with the demo database, so no initdb runs here.
//
// It answers the same requests as worker.js, with the same answers: the steps come
// from the book's engine (`pg_run`), PGlite runs them (pg-replay.mjs), and the
// engine renders what they gave (`render_pg_outcome`), as the SQLite runner does.
/* global wasm_bindgen */
'use strict';

let ready = null;
let pg = null;
let replay = null;
let demoSql = '';
// Whether the database may differ from the demo database, and the key of the
// panel whose changes it holds ("keep changes"), if any.
let dirty = false;
let keptFor = '';

function load() {
  if (!ready) {
    ready = (async () => {
      const started = performance.now();
      importScripts('demo_engine_web.js');
      const [, pglite, module, data, sql] = await Promise.all([
        wasm_bindgen({ module_or_path: 'demo_engine_web_bg.wasm' }),
        import('./pglite/index.js'),
        import('./pg-replay.mjs'),
        fetch('pglite/demo.tar.gz').then((r) => {
          if (!r.ok) throw new Error('pglite/demo.tar.gz is missing from the book');
          return r.blob();
        }),
        fetch('pglite/demo.sql').then((r) => r.text()),
      ]);
      replay = module;
      demoSql = sql;
      pg = await pglite.PGlite.create({ loadDataDir: data });
      return performance.now() - started;
    })();
    ready.catch(() => { ready = null; });
  }
  return ready;
}

async function answerPlan(request) {
  const run = JSON.parse(wasm_bindgen.pg_run(
    request.plans, request.side, request.from, request.to,
    request.sql || '', request.params || '',
  ));
  if (run.status !== 'ok') return run;
  const keep = request.keep || '';
  if (!keep || keep !== keptFor) {
    await replay.freshDatabase(pg, demoSql, dirty);
    dirty = false;
    // A kept database starts with the statements before the chosen ones; later
    // Runs with the same key run only the chosen ones on it.
  } else {
    run.steps = run.steps.slice(run.chosen);
    run.chosen = 0;
  }
  keptFor = keep;
  let outcomes;
  try {
    const done = await replay.runSteps(pg, run);
    outcomes = done.outcomes;
    dirty = dirty || done.dirty;
  } catch (error) {
    dirty = true;
    return { status: 'error', message: String(error.message || error), statement: 0 };
  }
  const html = [];
  for (let i = 0; i < outcomes.length; i++) {
    if (outcomes[i].refused) {
      return { status: 'error', message: `PostgreSQL refused it: ${outcomes[i].refused}`, statement: i + 1 };
    }
    html.push(wasm_bindgen.render_pg_outcome(JSON.stringify(outcomes[i]), request.limits));
  }
  return { status: 'ok', html };
}

importScripts('serve-requests.js');

serveRequests(load, (request) => {
  if (request.op === 'reset') {
    if (keptFor === (request.keep || '')) keptFor = '';
    return { status: 'ok', html: [] };
  }
  if (request.op === 'plan') return answerPlan(request);
  return { status: 'error', message: 'the PostgreSQL runner runs the book\'s statements only', statement: 0 };
}, 'PostgreSQL runner');
