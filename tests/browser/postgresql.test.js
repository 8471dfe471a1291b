// Panels on PostgreSQL in real Chromium: the database switch (remembered across
// pages, loading nothing of PGlite), and every PostgreSQL statement of the book
// run in the page, through the page's own PostgreSQL runner (PGlite in a worker),
// with the answer the capture holds: its rows, or its refusal.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { BOOK, SERVER_OWN, SHOTS, useBook } = require('./support');

const book = useBook({ before, after });
const CAPTURES = path.resolve(__dirname, '../../snippets/captures/current-postgresql');
const pglite = () => book.site.served.filter((p) => p.includes('/runner/pg'));

test('the database switch shows every panel on PostgreSQL, and the choice follows the reader', async () => {
  const { page, problems } = await book.open('filtering.html');
  await page.waitForLoadState('load');
  const panel = page.locator('#cmp-filter-startswith-case');
  const switchTo = (label) => panel.getByRole('group', { name: 'Database' }).getByRole('button', { name: label });
  assert.equal(await switchTo('SQLite').getAttribute('aria-pressed'), 'true');
  // On SQLite, LIKE ignores case: one row; on PostgreSQL it does not.
  const resultRows = () => panel.locator('.ormc-side').first().locator('.ormc-result tbody tr').count();
  assert.equal(await resultRows(), 1);
  await switchTo('PostgreSQL').click();
  await page.waitForFunction(() => [...document.querySelectorAll('.ormc-compare[data-dbs]')]
    .every((p) => p.dataset.db === 'postgresql'));
  assert.equal(await switchTo('PostgreSQL').getAttribute('aria-pressed'), 'true');
  assert.equal(await resultRows(), 0);
  assert.match(await panel.locator('.ormc-elsewhere').first().innerText(), /^On SQLite:/);
  assert.equal(await page.locator('.ormc-note', { hasText: 'sent by psycopg itself' }).count() > 0, true);
  await panel.screenshot({ path: path.join(SHOTS, 'postgresql-switch.png') });
  assert.deepEqual(pglite(), [], 'switching loads nothing of the PostgreSQL runner');

  // Another page opens on PostgreSQL.
  await page.goto(`${book.site.origin}/n-plus-one.html`);
  await page.waitForFunction(() => document.querySelector('.ormc-compare[data-dbs]').dataset.db === 'postgresql');
  await page.locator('.ormc-compare[data-dbs]').first().getByRole('button', { name: 'SQLite' }).click();
  await page.waitForFunction(() => document.querySelector('.ormc-compare[data-dbs]').dataset.db === 'sqlite');
  assert.equal(await page.evaluate(() => localStorage.getItem('ormc-database')), 'sqlite');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a panel for one database says why the other has none', async () => {
  const { page } = await book.open('other-orms.html');
  const only = page.locator('#cmp-others-filter .ormc-db-only');
  assert.equal(await only.locator('summary').innerText(), 'SQLite only');
  assert.equal(await page.locator('#cmp-others-filter .ormc-db-switch').count(), 0);
  await page.close();
});

test('a runaway statement on PostgreSQL is stopped by the watchdog, and the runner answers again', { timeout: 120000 }, async () => {
  const { page } = await book.open('filtering.html');
  await page.evaluate(() => localStorage.setItem('ormc-database', 'postgresql'));
  await page.reload();
  const panel = page.locator('#cmp-filter-startswith-case');
  await page.waitForFunction(() => document.getElementById('cmp-filter-startswith-case').dataset.db === 'postgresql');
  const statement = panel.locator('.ormc-view [data-side="0"] .ormc-stmt[data-steps]').first();
  await statement.getByRole('button', { name: /^Run / }).click();
  await statement.locator('.ormc-run-out .ormc-run-head').waitFor({ timeout: 60000 });
  assert.ok(book.site.served.some((p) => p.endsWith('/runner/pglite/pglite.wasm')), 'PGlite loaded on the Run');
  // PGlite ignores statement_timeout: the page's watchdog stops an endless query.
  await statement.getByRole('button', { name: /^Edit / }).click();
  await statement.locator('textarea').first().fill('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n');
  await statement.locator('.ormc-params-input').fill('[]');
  const started = Date.now();
  await statement.getByRole('button', { name: /^Run / }).click();
  const error = statement.locator('.ormc-run-out.ormc-run-error');
  await error.waitFor({ timeout: 30000 });
  assert.match(await error.textContent(), /stopped: no answer after 15 seconds/);
  assert.ok(Date.now() - started < 25000);
  await statement.getByRole('button', { name: /^Reset / }).click();
  await statement.getByRole('button', { name: /^Run / }).click();
  await statement.locator('.ormc-run-out .ormc-run-head').waitFor({ timeout: 60000 });
  await page.close();
});

// The capture side's first statement PostgreSQL refused, if any (its index).
function firstRefused(section) {
  return section.statements.findIndex((s) => s.refused);
}

test('every PostgreSQL statement of the book runs in the page, with the rows it captured', { timeout: 15 * 60 * 1000 }, async () => {
  const chapters = fs.readdirSync(BOOK).filter((f) => f.endsWith('.html') && !['print.html', 'toc.html', '404.html'].includes(f));
  const counts = { sides: 0, statements: 0, rows: 0 };
  const failures = [];
  let firstRun = null;
  for (const chapter of chapters.sort()) {
    if (!fs.readFileSync(path.join(BOOK, chapter), 'utf8').includes('postgresql')) continue;
    const { page, problems } = await book.open(chapter);
    await page.evaluate(() => localStorage.setItem('ormc-database', 'postgresql'));
    await page.reload();
    await page.waitForLoadState('load');
    const ids = await page.evaluate(() => [...document.querySelectorAll('.ormc-compare')]
      .filter((p) => (p.dataset.dbs || p.dataset.db).includes('postgresql')).map((p) => p.id.slice(4)));
    for (const id of ids) {
      await page.waitForFunction((key) => document.getElementById(key).dataset.db === 'postgresql', `cmp-${id}`);
      const capture = JSON.parse(fs.readFileSync(path.join(CAPTURES, `${id}.json`), 'utf8'));
      for (const [side, section] of capture.sections.entries()) {
        const n = section.statements.length;
        if (!n) continue;
        counts.sides++;
        const started = Date.now();
        const answer = await page.evaluate(([key, index, count]) => {
          const element = document.querySelector(`#${key} .ormc-view [data-side="${index}"]`);
          return window.ormc.runSteps(element, 0, count, null, '');
        }, [`cmp-${id}`, side, n]);
        if (firstRun === null) firstRun = Date.now() - started;
        const where = `${chapter} ${id} side ${side + 1}`;
        const refused = firstRefused(section);
        if (refused >= 0) {
          if (answer.status !== 'error' || answer.statement !== refused + 1) {
            failures.push(`${where}: should stop at statement ${refused + 1}, refused as captured; got ${JSON.stringify(answer).slice(0, 200)}`);
          }
          counts.statements += refused + 1;
          continue;
        }
        if (answer.status !== 'ok' || answer.html.length !== n) {
          failures.push(`${where}: ${JSON.stringify(answer).slice(0, 300)}`);
          continue;
        }
        counts.statements += n;
        section.statements.forEach((statement, i) => {
          if (statement.total_rows === null || statement.total_rows === undefined) return;
          const shown = /<div class="ormc-label">(\d+) rows?<\/div>/.exec(answer.html[i]);
          // Catalogue reads answer for the server they run on (PGlite's own catalogue).
          if (SERVER_OWN.test(statement.sql)) return;
          counts.rows++;
          if (!shown || Number(shown[1]) !== statement.total_rows) {
            failures.push(`${where}, statement ${i + 1}: ${shown ? shown[1] : 'no'} rows in the page, ${statement.total_rows} captured`);
          }
        });
      }
    }
    if (problems.length) failures.push(`${chapter}: ${problems.join('; ')}`);
    await page.close();
  }
  console.log(`in the page on PGlite: ${counts.sides} sides, ${counts.statements} statements run, ` +
    `${counts.rows} row counts compared; first Run (PGlite loaded) ${firstRun} ms`);
  assert.deepEqual(failures.slice(0, 30), [], `${failures.length} failures`);
  assert.ok(counts.statements > 2000, `${counts.statements} statements`);
});
