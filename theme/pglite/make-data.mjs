// Puts PGlite and the demo database into src/runner/pglite/, for the page's
// PostgreSQL runner (src/runner/pg-worker.js) and the PGlite tests:
//
// - PGlite's own files (its modules, pglite.wasm, pglite.data, initdb.wasm), copied
//   from the pinned npm package next to this file;
// - demo.sql: the demo database for PostgreSQL, the same three files the capture
//   runner builds its template from (snippets/schema.postgresql.sql, fixtures.sql,
//   sequences.postgresql.sql), in that order;
// - demo.tar.gz: a PGlite data folder with demo.sql already run, so that a reader's
//   first Run skips initdb (seconds in a browser).
//
// Usage: node theme/pglite/make-data.mjs OUT_DIR (scripts/lib.sh, ensure_pglite).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const out = path.resolve(process.argv[2] || path.join(root, 'src/runner/pglite'));
const dist = path.join(here, 'node_modules/@electric-sql/pglite/dist');
const SOURCES = ['schema.postgresql.sql', 'fixtures.sql', 'sequences.postgresql.sql'];

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
for (const name of fs.readdirSync(dist)) {
  if (/\.js$/.test(name) || ['pglite.wasm', 'pglite.data', 'initdb.wasm'].includes(name)) {
    fs.copyFileSync(path.join(dist, name), path.join(out, name));
  }
}
const demoSql = SOURCES.map((name) =>
  `-- snippets/${name}\n` + fs.readFileSync(path.join(root, 'snippets', name), 'utf8')).join('\n');
fs.writeFileSync(path.join(out, 'demo.sql'), demoSql);
const pg = await PGlite.create();
await pg.exec(demoSql);
await pg.exec('VACUUM ANALYZE');
const data = await pg.dumpDataDir('gzip');
fs.writeFileSync(path.join(out, 'demo.tar.gz'), Buffer.from(await data.arrayBuffer()));
await pg.close();
console.log(`PGlite ${JSON.parse(fs.readFileSync(path.join(dist, '../package.json'), 'utf8')).version} and the demo database in ${path.relative(root, out)}`);
