// Every statement of every PostgreSQL capture, run again on PGlite (PostgreSQL 18 in
// WebAssembly), with the page's own code: the book's engine makes the steps
// (`pg_run_capture`, beside the page's `pg_run` in the WebAssembly module the page
// loads) and src/runner/pg-replay.mjs
// runs them, on the demo database the page ships (src/runner/pglite/demo.sql).
//
// Each side starts from a fresh demo database. What must agree with the capture:
// whether each statement ran or was refused, and the rows it returned (column names
// and values), except for statements that read the server's catalogue or version,
// whose answers belong to the server (object ids, version strings): those must run.
// The captures were made on the runner's PostgreSQL 16 server; the two stacks'
// captures are both replayed (the previous releases' only where they differ).
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { pathToFileURL } = require('node:url');

const ROOT = path.resolve(__dirname, '../..');
const RUNNER = path.join(ROOT, 'src/runner');
const CAPTURES = path.join(ROOT, 'snippets/captures');

const { SERVER_OWN } = require('./support');

async function engine() {
  const glue = fs.readFileSync(path.join(RUNNER, 'demo_engine_web.js'), 'utf8');
  vm.runInThisContext(glue + '\nglobalThis.wasm_bindgen = wasm_bindgen;', { filename: 'demo_engine_web.js' });
  await globalThis.wasm_bindgen({ module_or_path: fs.readFileSync(path.join(RUNNER, 'demo_engine_web_bg.wasm')) });
  return globalThis.wasm_bindgen;
}

// A moment in UTC, with or without its offset: Django with USE_TZ=False reads a
// timestamptz as the naive UTC time (the panels on aware datetimes show it).
const UTC = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)\+00:00$/;
// A JSON value read by Django's loader, which keeps the document's text, or by
// psycopg's, which parses it: the same value either way (json and jsonb columns).
const JSON_TYPES = [114, 3802];
function cell(value, type) {
  if (typeof value !== 'string') return value;
  const utc = value.replace(UTC, '$1');
  if (utc !== value || !JSON_TYPES.includes(type)) return utc;
  try {
    const parsed = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' ? value : parsed;
  } catch (e) {
    return value;
  }
}
const comparable = (rows, types) => rows.map((row) => row.map((v, i) => cell(v, types[i])));

// The same rows, in the same order or, where the SQL leaves the order open, in another.
function sameRows(a, b, types) {
  const [x, y] = [comparable(a, types), comparable(b, types)];
  const key = (rows) => rows.map((row) => JSON.stringify(row)).sort();
  return JSON.stringify(x) === JSON.stringify(y) || JSON.stringify(key(x)) === JSON.stringify(key(y));
}

test('every PostgreSQL capture replays on PGlite with the rows it captured', { timeout: 20 * 60 * 1000 }, async () => {
  const wasm = await engine();
  const { PGlite } = await import(pathToFileURL(path.join(RUNNER, 'pglite/index.js')).href);
  const replay = await import(pathToFileURL(path.join(RUNNER, 'pg-replay.mjs')).href);
  const demoSql = fs.readFileSync(path.join(RUNNER, 'pglite/demo.sql'), 'utf8');
  const started = Date.now();
  const pg = await PGlite.create({
    loadDataDir: new Blob([fs.readFileSync(path.join(RUNNER, 'pglite/demo.tar.gz'))]),
  });
  const loadMs = Date.now() - started;
  const counts = { captures: 0, sides: 0, statements: 0, rowsCompared: 0, serverOwn: 0, refused: 0 };
  const failures = [];
  let dirty = false;
  const sideKey = (section) => JSON.stringify([section.setup, section.statements]);
  const current = new Map();
  for (const stack of ['current', 'lts']) {
    const folder = path.join(CAPTURES, `${stack}-postgresql`);
    for (const file of fs.readdirSync(folder).sort()) {
      const text = fs.readFileSync(path.join(folder, file), 'utf8');
      const capture = JSON.parse(text);
      counts.captures++;
      for (const [index, section] of capture.sections.entries()) {
        const where = `${stack}-postgresql/${file} side ${index + 1} (${section.kind})`;
        if (stack === 'current') current.set(`${file}/${index}`, sideKey(section));
        else if (current.get(`${file}/${index}`) === sideKey(section)) continue;
        if (!section.statements.length) continue;
        counts.sides++;
        // The steps, made by the engine from the capture's own text.
        const run = JSON.parse(wasm.pg_run_capture(text, index, 0, section.statements.length));
        if (run.status !== 'ok') { failures.push(`${where}: ${run.message}`); continue; }
        await replay.freshDatabase(pg, demoSql, dirty);
        let outcome;
        try {
          outcome = await replay.runSteps(pg, run);
        } catch (error) {
          failures.push(`${where}: ${error.message}`);
          dirty = true;
          continue;
        }
        dirty = outcome.dirty;
        outcome.outcomes.forEach((got, i) => {
          const statement = section.statements[i];
          counts.statements++;
          const at = `${where}, statement ${i + 1} (${statement.sql.slice(0, 60)})`;
          if (Boolean(got.refused) !== Boolean(statement.refused)) {
            failures.push(`${at}: ${got.refused ? `refused on PGlite: ${got.refused}` : `ran on PGlite, refused when captured: ${statement.refused}`}`);
            return;
          }
          if (got.refused) { counts.refused++; return; }
          if (statement.rows === null || statement.rows === undefined) return;
          if (SERVER_OWN.test(statement.sql)) { counts.serverOwn++; return; }
          if (!got.rows) { failures.push(`${at}: returned no rows on PGlite`); return; }
          counts.rowsCompared++;
          if (JSON.stringify(got.columns) !== JSON.stringify(statement.columns)) {
            failures.push(`${at}: columns ${JSON.stringify(got.columns)}, captured ${JSON.stringify(statement.columns)}`);
          } else if (got.rows.length !== statement.total_rows
            || !sameRows(got.rows.slice(0, statement.rows.length), statement.rows, got.types)) {
            failures.push(`${at}: rows ${JSON.stringify(got.rows).slice(0, 300)}, captured ${JSON.stringify(statement.rows).slice(0, 300)}`);
          }
        });
      }
    }
  }
  await pg.close();
  const seconds = (Date.now() - started) / 1000;
  console.log(`PGlite replay: ${counts.captures} captures, ${counts.sides} sides, ${counts.statements} statements ` +
    `(${counts.rowsCompared} with rows compared, ${counts.serverOwn} reading the server's catalogue, ` +
    `${counts.refused} refused as captured) in ${seconds.toFixed(1)} s; data folder loaded in ${loadMs} ms`);
  assert.deepStrictEqual(failures.slice(0, 40), [], `${failures.length} statements differ on PGlite`);
  assert.ok(counts.rowsCompared > 1000, 'the replay compared the rows of most statements');
});
