// The in-page runner in real Chromium: the engine loads on the first Run only,
// Run and Edit act where the reader is, a side's set-up is replayed as the build
// replays it, and errors, runaway queries and kept changes behave.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { SHOTS, useBook } = require('./support');

const book = useBook({ before, after });
const open = (...args) => book.open(...args);

test('the engine and the panel data are fetched on the first Run, not on page load', async () => {
  const { page } = await open('how-to-read.html');
  await page.waitForLoadState('load');
  assert.ok(!book.site.served.some((p) => p.includes('/runner/') || p.includes('/ormc-data/')),
    'nothing from runner/ or ormc-data/ before a Run');
  const statement = page.locator('#cmp-read-first-look .ormc-stmt[data-step]').first();
  await statement.getByRole('button', { name: /^Run statement 1 / }).click();
  await statement.locator('.ormc-run-out table').waitFor();
  assert.ok(book.site.served.some((p) => p.endsWith('/runner/demo_engine_web_bg.wasm')));
  assert.ok(book.site.served.some((p) => p.endsWith('/ormc-data/how-to-read.json')));
  await page.close();
});

test('every control says which statement it acts on', async () => {
  const { page } = await open('n-plus-one.html');
  const panels = await page.evaluate(() => [...document.querySelectorAll('.ormc-compare')]
    .map((panel) => [...panel.querySelectorAll('.ormc-run-bar button')].map((b) => b.getAttribute('aria-label'))));
  assert.ok(panels.flat().length > 40, `${panels.flat().length} buttons`);
  for (const names of panels) {
    assert.equal(new Set(names).size, names.length, `two controls of a panel with the same name: ${names}`);
    assert.ok(names.every((n) => /^(Run|Edit|Reset) statements? [\d–]+ \(.+\)( to the SQL the book shows)?$/.test(n)), names.join(' / '));
  }
  assert.ok(panels[0].includes('Run statements 2–6 (Django ORM)'), panels[0].join(' / '));
  // One "keep changes" per panel.
  assert.equal(await page.locator('.ormc-compare .ormc-keep').count(), panels.length);
  await page.close();
});

test('Run on a group runs every execution, and its result comes into view', async () => {
  const { page } = await open('n-plus-one.html', { width: 1440, height: 900 });
  const group = page.locator('#cmp-n1-lazy-fk .ormc-side').first().locator('.ormc-repeat');
  await group.getByRole('button', { name: 'Run statements 2–6 (Django ORM)' }).click();
  const results = group.locator('.ormc-run-out .ormc-run-result');
  await results.nth(4).waitFor();
  assert.equal(await results.count(), 5);
  assert.match(await results.nth(1).textContent(), /Alan Turing/);
  const box = await group.locator('.ormc-run-out').boundingBox();
  assert.ok(box.y < 900 && box.y + Math.min(box.height, 200) > 0, `the result is at ${box.y}px`);
  await page.close();
});

test('Edit keeps the parameters bound and editable; Reset brings the book back', async () => {
  const { page, problems } = await open('n-plus-one.html');
  const statement = page.locator('#cmp-n1-lazy-fk .ormc-side').nth(1).locator('.ormc-stmt[data-step="0"]');
  await statement.getByRole('button', { name: /^Edit statement 1 / }).click();
  const params = statement.locator('.ormc-params-input');
  assert.equal(await params.inputValue(), '[5,0]');
  await statement.getByRole('button', { name: /^Run statement 1 / }).click();
  await statement.locator('.ormc-run-out table').waitFor();
  assert.equal(await statement.locator('.ormc-run-out tbody tr').count(), 5);
  await params.fill('[2, 1]');
  await statement.locator('.ormc-editor textarea').first().press('Control+Enter');
  await page.waitForFunction(() => document.querySelectorAll('#cmp-n1-lazy-fk .ormc-side')[1]
    .querySelector('.ormc-stmt[data-step="0"] .ormc-run-out tbody')?.children.length === 2);
  assert.match(await statement.locator('.ormc-run-out tbody tr').first().textContent(), /^2/);
  await page.screenshot({ path: path.join(SHOTS, 'edit-run.png') });
  await statement.getByRole('button', { name: /^Reset statement 1 .* to the SQL the book shows$/ }).click();
  assert.equal(await statement.locator('.ormc-editor').count(), 0);
  assert.equal(await statement.locator('.ormc-run-out').count(), 0);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a side replays its connection set-up in the page as in the build: foreign keys', async () => {
  const { page } = await open('how-to-read.html');
  const insert = {
    sql: 'INSERT INTO orders (customer_id, placed_on, status) VALUES (?, ?, ?)',
    params: '[999, "2024-01-01", "pending"]',
  };
  const answers = await page.evaluate(async (edit) => {
    const sides = document.querySelectorAll('#cmp-read-first-look .ormc-side');
    const out = [];
    for (const side of sides) out.push(await window.ormc.runSteps(side, 0, 1, edit, ''));
    return out.map((a) => a.status === 'ok' ? a.html.join('') : a.message);
  }, insert);
  // Django turns SQLite's foreign keys on when it connects; SQLAlchemy leaves them off.
  assert.match(answers[0], /FOREIGN KEY constraint failed/);
  assert.match(answers[1], /1 row changed/);
  await page.close();
});

// The playground page, and a way to type SQL into its console and press Run.
async function playground() {
  const { page, problems } = await open('playground.html');
  const console_ = page.locator('.ormc-playground .ormc-stmt');
  const type = async (sql) => {
    await console_.locator('textarea').fill(sql);
    await console_.getByRole('button', { name: 'Run the SQL in the console' }).click();
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

test('SQL that reaches for a file is refused in the page as at build time', async () => {
  const { page, console_, type } = await playground();
  await type("ATTACH DATABASE 'x.db' AS x;");
  const error = console_.locator('.ormc-run-error');
  await error.waitFor();
  assert.match(await error.textContent(), /not authorized: SQL in this book may not reach files/);
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
  const keep = page.locator('.ormc-playground .ormc-keep input');
  await keep.check();
  await run('DELETE FROM order_lines; DELETE FROM orders;');
  assert.match(await run('SELECT count(*) AS n FROM orders;'), /n0/);
  await keep.uncheck();
  assert.match(await run('SELECT count(*) AS n FROM orders;'), /n30/);
  // Reset in the playground brings back its first starter, still editable.
  await console_.getByRole('button', { name: /^Reset the console/ }).click();
  assert.match(await console_.locator('textarea').inputValue(), /^SELECT city, count\(\*\) AS customers/);
  await page.close();
});

test('keep changes belongs to its panel', async () => {
  const { page } = await open('n-plus-one.html');
  const panel = page.locator('#cmp-n1-lazy-fk');
  await panel.locator('.ormc-keep input').check();
  const other = page.locator('.ormc-compare').nth(1).locator('.ormc-keep input');
  assert.equal(await other.isChecked(), false);
  await page.close();
});
