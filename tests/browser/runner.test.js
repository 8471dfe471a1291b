// The in-page runner in real Chromium: the engine loads on the first Run only,
// every statement the book shows re-runs to its build-time rows, and edits,
// errors, runaway queries and kept changes behave.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { BOOK, SHOTS, useBook } = require('./support');

const book = useBook({ before, after });
const open = (...args) => book.open(...args);

test('the engine is fetched on the first Run, not on page load', async () => {
  const { page } = await open('how-to-read.html');
  await page.waitForLoadState('load');
  assert.ok(!book.site.served.some((p) => p.includes('/runner/')), 'nothing from runner/ before a Run');
  const statement = page.locator('#cmp-read-first-look .ormc-stmt[data-sql]').first();
  await statement.getByRole('button', { name: 'Run' }).click();
  await statement.locator('.ormc-run-result table').waitFor();
  assert.ok(book.site.served.some((p) => p.endsWith('/runner/demo_engine_web_bg.wasm')));
  await page.close();
});

test('Run on every SQL statement in the book gives its build-time rows', async () => {
  const pages = fs.readdirSync(BOOK).filter((f) => f.endsWith('.html') && !['404.html', 'toc.html', 'print.html', 'playground.html'].includes(f));
  let checked = 0;
  let compared = 0;
  let refused = 0;
  for (const file of pages) {
    const { page, problems } = await open(file);
    const count = await page.locator('.ormc .ormc-stmt[data-sql]').count();
    for (let i = 0; i < count; i++) {
      const result = await page.evaluate(async (index) => {
        const statement = document.querySelectorAll('.ormc .ormc-stmt[data-sql]')[index];
        // The build-time table: the deferred fragment of a panel statement, or
        // the table a `sql run` block shows.
        let expected = null;
        const details = statement.querySelector('details.ormc-rows');
        if (details) {
          const island = statement.closest('.ormc-side').querySelector('script.ormc-deferred');
          const holder = document.createElement('div');
          holder.innerHTML = JSON.parse(island.textContent)[Number(details.dataset.deferred)];
          expected = holder;
        } else if (statement.dataset.origin === 'book') {
          expected = statement;
        }
        const answer = await window.ormcRun(statement);
        const out = statement.querySelector('.ormc-run-out');
        return { answer: answer.status, message: answer.message, sql: statement.dataset.sql.slice(0, 80),
          refused: statement.dataset.refused,
          expected: expected && expected.querySelector('table.ormc-table') ? expected.outerHTML : null,
          got: out.innerHTML };
      }, i);
      if (result.refused !== undefined) {
        // The book shows the database refusing it: the page's engine must refuse it too.
        assert.equal(result.answer, 'error', `${file} #${i + 1} (${result.sql}) ran but the book shows it refused`);
        assert.ok(result.message.includes(result.refused), `${file} #${i + 1}: ${result.message} vs ${result.refused}`);
        refused++;
        checked++;
        continue;
      }
      assert.equal(result.answer, 'ok', `${file} #${i + 1} (${result.sql}): ${result.message}`);
      if (result.expected) {
        const [want, got] = await page.evaluate(([w, g]) => {
          const rows = (html) => {
            const holder = document.createElement('div');
            holder.innerHTML = html;
            const table = holder.querySelector('table.ormc-table');
            return { head: [...table.querySelectorAll('th')].map((th) => th.textContent),
              rows: [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent)),
              cut: (holder.querySelector('.ormc-cut') || {}).textContent || '' };
          };
          return [rows(w), rows(g)];
        }, [result.expected, result.got]);
        assert.deepEqual(got.head, want.head, `${file} #${i + 1} columns`);
        assert.equal(got.cut, want.cut, `${file} #${i + 1} cut`);
        // Rows that tie under ORDER BY may come back in another order: same rows.
        assert.deepEqual([...got.rows].map(String).sort(), [...want.rows].map(String).sort(), `${file} #${i + 1} rows (${result.sql})`);
        compared++;
      }
      checked++;
    }
    assert.deepEqual(problems, [], file);
    await page.close();
  }
  console.log(`ran ${checked} statements, compared ${compared} tables, ${refused} refused as in the book`);
  assert.ok(checked >= 60 && compared >= 50, `ran ${checked}, compared ${compared}`);
});

test('Edit, Run shows the new rows; Reset brings the book back', async () => {
  const { page } = await open('how-to-read.html');
  const statement = page.locator('#sql-read-row-counts .ormc-stmt');
  await statement.getByRole('button', { name: 'Edit' }).click();
  const editor = statement.locator('.ormc-editor textarea');
  await editor.fill('SELECT name FROM tags ORDER BY name LIMIT 2;');
  assert.match(await statement.locator('.ormc-editor code').innerHTML(), /hljs-keyword/, 'highlighted');
  await statement.getByRole('button', { name: 'Run' }).click();
  const rows = statement.locator('.ormc-run-result tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 2);
  await page.screenshot({ path: path.join(SHOTS, 'edit-run.png') });
  await statement.getByRole('button', { name: 'Reset' }).click();
  assert.equal(await statement.locator('.ormc-editor').count(), 0);
  assert.equal(await statement.locator('.ormc-run-out').count(), 0);
  assert.ok(await statement.locator('pre.ormc-sql').isVisible());
  await page.close();
});

// The playground page, and a way to type SQL into its console and press Run.
async function playground() {
  const { page, problems } = await open('playground.html');
  const console_ = page.locator('.ormc-playground .ormc-stmt');
  const type = async (sql) => {
    await console_.locator('textarea').fill(sql);
    await console_.getByRole('button', { name: 'Run' }).click();
  };
  return { page, problems, console_, type };
}

test('a broken query shows its error in words', async () => {
  const { page, problems, console_, type } = await playground();
  await type('SELECT nope FROM customers;');
  const error = console_.locator('.ormc-run-error');
  await error.waitFor();
  assert.match(await error.textContent(), /no such column: nope/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a huge result is cut, with a count of the rows left out', async () => {
  const { page, console_, type } = await playground();
  await type('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) SELECT i FROM n;');
  const cut = console_.locator('.ormc-run-result .ormc-cut');
  await cut.waitFor();
  assert.equal(await cut.textContent(), '… and 99988 more rows not shown (100000 in all)');
  assert.equal(await console_.locator('.ormc-run-result tbody tr').count(), 12);
  await page.close();
});

test('a runaway query is interrupted and the page keeps answering', async () => {
  const { page, console_, type } = await playground();
  await type('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n;');
  // While the worker grinds, the page still reacts at once.
  const started = Date.now();
  const answered = await page.evaluate(() => new Promise((resolve) => {
    const t0 = performance.now();
    setTimeout(() => resolve(performance.now() - t0), 10);
  }));
  assert.ok(answered < 200, `timer answered after ${answered} ms`);
  await page.getByRole('button', { name: 'The category tree' }).waitFor();
  const error = console_.locator('.ormc-run-error');
  await error.waitFor({ timeout: 15000 });
  assert.match(await error.textContent(), /interrupted after \d+ SQLite steps/);
  assert.ok(Date.now() - started < 15000);
  // And the runner still works afterwards.
  await page.getByRole('button', { name: 'Customers by city' }).click();
  await console_.locator('.ormc-run-result table').waitFor();
  await page.close();
});

test('keep changes carries a write to the next Run; unticked, each Run is fresh', async () => {
  const { page, console_, type } = await playground();
  const run = async (sql) => {
    await type(sql);
    await page.waitForFunction(() => !document.querySelector('.ormc-playground .ormc-running'));
    return console_.locator('.ormc-run-out').textContent();
  };
  await console_.locator('.ormc-keep input').check();
  await run('DELETE FROM order_lines; DELETE FROM orders;');
  assert.match(await run('SELECT count(*) AS n FROM orders;'), /n0/);
  await console_.locator('.ormc-keep input').uncheck();
  assert.match(await run('SELECT count(*) AS n FROM orders;'), /n30/);
  // Reset in the playground brings back its first starter, still editable.
  await console_.getByRole('button', { name: 'Reset' }).click();
  assert.match(await console_.locator('textarea').inputValue(), /^SELECT city, count\(\*\) AS customers/);
  assert.equal(await console_.getByRole('button', { name: 'Edit' }).isVisible(), false);
  await page.close();
});
