// The built book in real Chromium: pages load cleanly, panels answer first,
// disclosures fill in, code and tables scroll instead of wrapping or clipping,
// and panels stack at a phone's width.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { BOOK, PREPROCESSOR, SHOTS, useBook } = require('./support');

const book = useBook({ before, after });
const open = (...args) => book.open(...args);

const chapters = fs.readdirSync(BOOK).filter((f) => f.endsWith('.html') && !['404.html', 'toc.html'].includes(f));

test('every page loads without console errors or outside requests', async () => {
  assert.ok(chapters.length >= 5, `found ${chapters}`);
  for (const file of chapters) {
    const { page, problems } = await open(file);
    await page.waitForLoadState('load');
    assert.deepEqual(problems, [], file);
    await page.close();
  }
});

// The Rust and Python tests read a built page through the preprocessor's
// `islands::load` (`mdbook-ormcompare islands-loaded`) instead of a browser: it
// must build, node for node, what the page's own loader (theme/head.hbs) builds.
test("the tests' island loader builds what the page's own loader builds", async () => {
  let islands = 0;
  for (const file of chapters) {
    const raw = fs.readFileSync(path.join(BOOK, file), 'utf8');
    islands += raw.split('class="ormc-island"').length - 1;
    const loaded = execFileSync(PREPROCESSOR, ['islands-loaded'], { input: raw, encoding: 'utf8', maxBuffer: 1 << 28 });
    const page = await book.browser.newPage();
    // Only the loader, inline in the page, runs: the scripts the page loads go on
    // to add controls and fill disclosures.
    await page.route('**/*.js', (route) => route.abort());
    await page.goto(`${book.site.origin}/${file}`);
    const difference = await page.evaluate((html) => {
      const name = (node) => (node.nodeType === Node.ELEMENT_NODE
        ? `<${node.localName}${node.id ? `#${node.id}` : ''}${node.classList.length ? `.${[...node.classList].join('.')}` : ''}>`
        : `${node.nodeName} ${JSON.stringify((node.data || '').slice(0, 60))}`);
      const attributes = (node) => [...node.attributes].map((a) => `${a.name}=${a.value}`).sort().join(' ');
      const first = (inPage, byLoad, where) => {
        if (inPage.isEqualNode(byLoad)) return null;
        const here = `${where} > ${name(inPage)}`;
        if (inPage.nodeName !== byLoad.nodeName || inPage.nodeType !== Node.ELEMENT_NODE) {
          return `${where}: ${name(inPage)} in the page, ${name(byLoad)} by islands-loaded`;
        }
        if (attributes(inPage) !== attributes(byLoad)) {
          return `${here}: attributes [${attributes(inPage)}] in the page, [${attributes(byLoad)}] by islands-loaded`;
        }
        const count = Math.max(inPage.childNodes.length, byLoad.childNodes.length);
        for (let i = 0; i < count; i += 1) {
          const [a, b] = [inPage.childNodes[i], byLoad.childNodes[i]];
          if (!a || !b) {
            return `${here}: ${inPage.childNodes.length} children in the page, ${byLoad.childNodes.length} by islands-loaded`;
          }
          const found = first(a, b, here);
          if (found) return found;
        }
        return `${here} differs`;
      };
      const main = document.querySelector('main');
      if (main.querySelector('.ormc-island')) return 'an island was left unloaded in the page';
      const expected = new DOMParser().parseFromString(html, 'text/html').querySelector('main');
      // The loader moves the <pre>s out from between line breaks, which stay as
      // text nodes side by side: the same text as one node once parsed.
      main.normalize();
      expected.normalize();
      return first(main, expected, '');
    }, loaded);
    assert.equal(difference, null, `${file}${difference}`);
    await page.close();
  }
  console.log(`islands-loaded against the page's loader: ${chapters.length} pages, ${islands} islands`);
  assert.ok(islands >= 300, `only ${islands} islands in the book`);
});

test('a side answers first: count, result and checks before the statements', async () => {
  const { page } = await open('n-plus-one.html', { width: 1440, height: 900 });
  const panel = page.locator('#cmp-n1-lazy-fk');
  const side = panel.locator('.ormc-side').first();
  const top = (await panel.boundingBox()).y;
  const result = (await side.locator('.ormc-result').boundingBox());
  const checks = (await side.locator('.ormc-side-checks').boundingBox());
  const statements = (await side.locator('.ormc-sql-head').boundingBox());
  assert.ok(result.y + result.height - top <= 900, `the result ends ${result.y + result.height - top}px below the panel's top`);
  assert.ok(checks.y < statements.y && result.y < statements.y);
  assert.match(await side.locator('.ormc-badge').textContent(), /^6 queries$/);
  // The N+1: one entry for the five lazy loads, with their parameters.
  const repeat = side.locator('.ormc-repeat');
  assert.equal(await repeat.count(), 1);
  assert.match(await repeat.locator('.ormc-times').textContent(), /×5/);
  assert.deepEqual(await repeat.locator('.ormc-runs .ormc-param-values').allTextContents(), ['[1]', '[2]', '[1]', '[3]', '[4]']);
  await page.close();
});

test('opening a statement shows its rows (run by the engine) and its exact SQL', async () => {
  const { page, problems } = await open('how-to-read.html');
  const side = page.locator('#cmp-read-first-look .ormc-side').first();
  const statement = side.locator('.ormc-stmt[data-step]').first();
  await statement.locator('details.ormc-rows summary').click();
  const rows = statement.locator('details.ormc-rows table tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 3);
  assert.equal(await rows.nth(0).locator('td').nth(1).textContent(), 'Ada Lovelace');
  await statement.locator('details.ormc-exact summary').click();
  const exact = statement.locator('details.ormc-exact pre.ormc-sql-exact code');
  await exact.waitFor();
  assert.match(await exact.textContent(), /^SELECT "customers"\."id" AS "id"/);
  await page.screenshot({ path: path.join(SHOTS, 'panel-opened.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('a bookkeeping group opens to every statement it holds, in order', async () => {
  const { page, problems } = await open('migrations.html');
  const group = page.locator('#cmp-mig-change .ormc-side[data-kind="sqlalchemy"] .ormc-bookkeeping').first();
  const summary = await group.locator('summary').textContent();
  const [, count] = summary.match(/· (\d+) statements/);
  await group.locator('summary').click();
  const items = group.locator('.ormc-stmt');
  await items.first().waitFor();
  assert.equal(await items.count(), Number(count));
  const first = Number(await group.getAttribute('data-step'));
  assert.equal(await items.nth(0).locator('.ormc-n').textContent(), String(first + 1));
  assert.match(await items.nth(0).locator('pre code').textContent(), /PRAGMA|SELECT/);
  assert.equal(await items.nth(0).getByRole('button', { name: /^Run statement \d+ \(SQLAlchemy\)$/ }).count(), 1);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a side the previous releases change opens on its statement diff', async () => {
  const { page, problems } = await open('bulk-loading.html');
  const marker = page.locator('#cmp-bulk-create-batches .ormc-side[data-kind="django"] details.ormc-upgrade');
  assert.match(await marker.locator('summary').textContent(), /^Django ORM 5\.2\.\d+: 3 queries, not 2$/);
  // The SQLAlchemy side sent the same statements on both stacks: no marker.
  assert.equal(await page.locator('#cmp-bulk-create-batches .ormc-side[data-kind="sqlalchemy"] details.ormc-upgrade').count(), 0);
  await marker.locator('summary').click();
  const removed = marker.locator('.ormc-diff-del');
  await removed.first().waitFor();
  assert.equal(await removed.first().textContent(), 'BEGIN');
  assert.ok(await marker.locator('.ormc-diff-ins').count() >= 1);
  // The link to the upgrade page comes after the diff.
  const link = marker.locator('.ormc-upgrade-more a');
  assert.equal(await link.getAttribute('href'), 'upgrading-django.html#up-bulk-create-batches');
  assert.ok((await link.boundingBox()).y > (await removed.first().boundingBox()).y);
  assert.deepEqual(problems, []);
  await page.close();
});

test('database text is shown as text, never run', async () => {
  const { page } = await open('how-to-read.html');
  let alerted = false;
  page.on('dialog', async (d) => { alerted = true; await d.dismiss(); });
  const cell = page.locator('#sql-read-customers-with-notes td', { hasText: '<script>' });
  assert.equal(await cell.count(), 1);
  await page.waitForTimeout(100);
  assert.equal(alerted, false);
  await page.close();
});

test('code scrolls instead of breaking inside a name; wide tables scroll and take the keyboard', async () => {
  for (const [file, viewport] of [['n-plus-one.html', { width: 1440, height: 900 }], ['rosetta.html', { width: 1440, height: 900 }], ['n-plus-one.html', { width: 390, height: 844 }]]) {
    const { page } = await open(file, viewport);
    // Scrolling regions are measured once the page is idle.
    await page.waitForFunction(() => document.documentElement.dataset.ormcMeasured === 'yes');
    const wrapped = await page.evaluate(() => [...document.querySelectorAll('.ormc pre > code')].filter((code) => {
      // A line that wrapped shows as more lines on the screen than the text has.
      const range = document.createRange();
      range.selectNodeContents(code);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      return tops.size > code.textContent.replace(/\n$/, '').split('\n').length;
    }).length);
    assert.equal(wrapped, 0, `${file} at ${viewport.width}px: code blocks that wrap`);
    const unreachable = await page.evaluate(() => [...document.querySelectorAll('.ormc pre, .ormc-table-wrap')]
      .filter((el) => el.scrollWidth > el.clientWidth + 1 && el.tabIndex < 0).length);
    assert.equal(unreachable, 0, `${file}: scrolling regions without keyboard focus`);
    await page.close();
  }
});

test('panels sit side by side on a wide screen and stack on a phone', async () => {
  const wide = await open('how-to-read.html');
  const sides = wide.page.locator('#cmp-read-first-look .ormc-side');
  const [a, b] = [await sides.nth(0).boundingBox(), await sides.nth(1).boundingBox()];
  assert.ok(b.x > a.x + a.width - 1 && Math.abs(a.y - b.y) < 2, 'side by side');
  await wide.page.close();

  for (const file of ['how-to-read.html', 'playground.html', 'n-plus-one.html']) {
    const phone = await open(file, { width: 390, height: 844 });
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${file}: no sideways scrolling (${overflow}px)`);
    if (file === 'how-to-read.html') {
      const small = phone.page.locator('#cmp-read-first-look .ormc-side');
      const [c, d] = [await small.nth(0).boundingBox(), await small.nth(1).boundingBox()];
      assert.ok(d.y >= c.y + c.height - 1, 'stacked');
      assert.ok(c.width <= 390, `fits the screen (${c.width}px)`);
      await small.nth(0).scrollIntoViewIfNeeded();
    } else {
      await phone.page.locator('.ormc').first().scrollIntoViewIfNeeded();
    }
    await phone.page.screenshot({ path: path.join(SHOTS, `phone-${file.replace('.html', '')}.png`) });
    await phone.page.close();
  }
});

test('print shows panels without their controls', async () => {
  const { page } = await open('n-plus-one.html');
  await page.emulateMedia({ media: 'print' });
  const visible = await page.evaluate(() => [...document.querySelectorAll('.ormc button, .ormc-keep')]
    .filter((el) => el.offsetParent !== null).length);
  assert.equal(visible, 0, 'buttons and toggles printed');
  assert.ok(await page.locator('#cmp-n1-lazy-fk .ormc-result').first().isVisible());
  await page.close();
});
