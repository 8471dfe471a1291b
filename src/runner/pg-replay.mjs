// Runs what a side sent to PostgreSQL again, on PGlite (PostgreSQL compiled to
// WebAssembly), and gives its rows in the form captures hold them. One module for
// the page's worker (pg-worker.js), which answers a reader's Run, and for the tests
// (tests/browser/pglite.test.js), which replay every PostgreSQL capture of the book.
//
// The steps come from the book's engine (`pg_run`, compiled to WebAssembly): the
// SQL with PostgreSQL's `$n` placeholders and one list of values per execution.

// Every value comes back as PostgreSQL's text: each type PGlite would turn into a
// JavaScript value keeps its text instead. `captureValue` then gives it the form
// the runner recorded (orm_runner/pg_recording.py: psycopg's Python values as
// JSON), so that rows can be compared with a capture and shown alike.
const textParsers = new WeakMap();
function asText(pg) {
  if (!textParsers.has(pg)) {
    const keep = (text) => text;
    textParsers.set(pg, Object.fromEntries(Object.keys(pg.parsers || {}).map((oid) => [oid, keep])));
  }
  return textParsers.get(pg);
}

const OID = {
  bool: 16, bytea: 17, int8: 20, int2: 21, int4: 23, oid: 26, json: 114, float4: 700,
  float8: 701, date: 1082, time: 1083, timestamp: 1114, timestamptz: 1184, interval: 1186,
  numeric: 1700, jsonb: 3802,
};
// Arrays, by their element type.
const ARRAY_OF = {
  1000: OID.bool, 1005: OID.int2, 1007: OID.int4, 1016: OID.int8, 1021: OID.float4,
  1022: OID.float8, 1231: OID.numeric, 1182: OID.date, 1115: OID.timestamp,
  1185: OID.timestamptz, 1009: 25, 1015: 1043, 1014: 1042, 2951: 2950, 199: OID.json,
  3807: OID.jsonb,
};

// Python's `json.dumps(value, ensure_ascii=False, default=str)`, which the runner
// writes JSON documents and arrays with: ", " and ": " between items.
function pythonJson(value) {
  if (Array.isArray(value)) return '[' + value.map(pythonJson).join(', ') + ']';
  if (value !== null && typeof value === 'object') {
    return '{' + Object.keys(value).map((k) => JSON.stringify(k) + ': ' + pythonJson(value[k])).join(', ') + '}';
  }
  return JSON.stringify(value);
}

// Fractions of a second as Python writes them: six digits, or none.
function pythonTime(text) {
  return text.replace(/(\d\d:\d\d:\d\d)(\.\d+)?/, (_, hms, fraction) =>
    hms + (fraction ? (fraction + '00000').slice(0, 7) : ''));
}

// `1 day 02:03:04` as Python's str(timedelta): `1 day, 2:03:04`.
function pythonInterval(text) {
  const m = /^(?:(-?\d+) days?)? ?(?:(-?)(\d+):(\d\d):(\d\d(?:\.\d+)?))?$/.exec(text);
  if (!m) return text;
  const days = Number(m[1] || 0);
  const clock = m[3] !== undefined ? `${Number(m[3])}:${m[4]}:${m[5]}` : '0:00:00';
  if (!days) return clock;
  return `${days} day${Math.abs(days) === 1 ? '' : 's'}, ${clock}`;
}

// `{1,2,"a b"}`: PostgreSQL's text of a one-dimensional array, as its elements' texts.
function arrayItems(text) {
  const items = [];
  let i = 1;
  while (i < text.length - 1) {
    if (text[i] === '"') {
      let item = '';
      i++;
      while (text[i] !== '"') {
        if (text[i] === '\\') i++;
        item += text[i++];
      }
      items.push(item);
      i += 2;
    } else {
      const end = text.indexOf(',', i) === -1 ? text.length - 1 : text.indexOf(',', i);
      const item = text.slice(i, end);
      items.push(item === 'NULL' ? null : item);
      i = end + 1;
    }
  }
  return items;
}

// A value as PostgreSQL's text (`text`, of type `oid`) in the capture's form.
export function captureValue(text, oid, inArray = false) {
  if (text === null) return null;
  switch (oid) {
    case OID.bool: return text === 't' || text === 'true';
    case OID.int2: case OID.int4: case OID.int8: case OID.oid: return Number(text);
    case OID.float4: case OID.float8: {
      const number = Number(text);
      return Number.isFinite(number) ? number : text;
    }
    case OID.bytea: return { $bytes: text.replace(/^\\x/, '') };
    case OID.json: case OID.jsonb: {
      const parsed = JSON.parse(text);
      return parsed !== null && typeof parsed === 'object' && !inArray ? pythonJson(parsed) : parsed;
    }
    case OID.timestamptz: return pythonTime(text).replace(/([+-]\d\d)$/, '$1:00');
    case OID.timestamp: case OID.time: return pythonTime(text);
    case OID.interval: return pythonInterval(text);
    default:
      if (ARRAY_OF[oid] !== undefined && text.startsWith('{')) {
        const items = arrayItems(text).map((item) => captureValue(item, ARRAY_OF[oid], true));
        return pythonJson(items);
      }
      return text; // numeric, text, dates, uuid, enums: their text is the capture's
  }
}

// A captured parameter value as PGlite takes it: `{"$bytes"}` as bytes,
// `{"$numeric"}` as its text (its type goes with it), `{"$array"}` as an array.
function parameter(value) {
  if (value === null || typeof value !== 'object') return value;
  if (typeof value.$bytes === 'string') {
    const hex = value.$bytes;
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return bytes;
  }
  if (typeof value.$numeric === 'string') return value.$numeric;
  if (Array.isArray(value.$array)) return value.$array.map(parameter);
  return value;
}

// The rows of a COPY ... FROM STDIN in COPY's text format, the data psycopg streamed.
function copyData(rows) {
  const field = (value) => {
    if (value === null) return '\\N';
    if (typeof value === 'object' && typeof value.$numeric === 'string') value = value.$numeric;
    const text = typeof value === 'boolean' ? (value ? 't' : 'f') : String(value);
    return text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  };
  return new Blob([rows.map((row) => row.map(field).join('\t') + '\n').join('')]);
}

const READS = /^\s*(SELECT|SHOW|BEGIN|START|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|SET|RESET|DISCARD|FETCH|CLOSE|DECLARE|VALUES|EXPLAIN)\b/i;

// Runs one step; returns { columns, rows } or { changed }, or throws the database's error.
async function runStep(pg, step) {
  const options = { rowMode: 'array', parsers: asText(pg) };
  let result = null;
  let changed = 0;
  if (step.copy) {
    const sql = step.sql.replace(/\bFROM\s+STDIN\b/i, "FROM '/dev/blob'");
    result = await pg.query(sql, [], { ...options, blob: copyData(step.executions) });
    changed = result.affectedRows || 0;
  } else {
    const executions = step.executions.length ? step.executions : [[]];
    for (const [i, values] of executions.entries()) {
      const typed = step.types && step.types[i] ? { ...options, paramTypes: step.types[i] } : options;
      result = await pg.query(step.sql, values.map(parameter), typed);
      changed += result.affectedRows || 0;
    }
  }
  if (result.fields && result.fields.length) {
    return {
      columns: result.fields.map((f) => f.name),
      types: result.fields.map((f) => f.dataTypeID),
      rows: result.rows.map((row) => row.map((text, i) => captureValue(text, result.fields[i].dataTypeID))),
    };
  }
  return { changed };
}

// The demo database as it was built: after a Run that may have written anything,
// the schema is dropped and built again (about 60 ms); a session's settings go in
// any case. `demoSql` is the schema, the rows and the sequences (pglite/demo.sql).
export async function freshDatabase(pg, demoSql, dirty) {
  try { await pg.exec('ROLLBACK'); } catch (e) { /* no transaction open */ }
  await pg.exec('DISCARD ALL');
  if (dirty) {
    await pg.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    await pg.exec(demoSql);
  }
}

// Runs a Run's steps (from `pg_run`) in order. Steps before `run.chosen` must do
// what they did when captured (ran, or were refused); each chosen one gives
// { columns, rows }, { changed } or { refused }. `onStep(index, outcome)` sees
// every step, for the tests. Returns { outcomes, dirty }.
export async function runSteps(pg, run, onStep) {
  const outcomes = [];
  let dirty = false;
  for (let index = 0; index < run.steps.length; index++) {
    const step = run.steps[index];
    if (!READS.test(step.sql)) dirty = true;
    let outcome;
    try {
      outcome = await runStep(pg, step);
    } catch (error) {
      outcome = { refused: String(error.message || error) };
    }
    if (onStep) onStep(index, outcome);
    if (index >= run.chosen) {
      outcomes.push(outcome);
    } else if (Boolean(outcome.refused) !== Boolean(step.refused)) {
      const what = outcome.refused ? `was refused (${outcome.refused})` : 'ran';
      throw new Error(`an earlier statement of this example (${index + 1}) ${what}, unlike when it was captured`);
    }
  }
  return { outcomes, dirty };
}
