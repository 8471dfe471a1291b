// The built book in real Chromium: pages load cleanly, deferred disclosures
// fill in, panels stack at a phone's width.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { BOOK, SHOTS, useBook } = require('./support');

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

test('opening a statement shows its rows and its exact SQL', async () => {
  const { page, problems } = await open('how-to-read.html');
  const side = page.locator('#cmp-read-first-look .ormc-side').first();
  const statement = side.locator('.ormc-stmt[data-origin="orm"]').first();
  await statement.locator('details.ormc-rows summary').click();
  const rows = statement.locator('details.ormc-rows table tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 3);
  assert.equal(await rows.nth(0).locator('td').nth(1).textContent(), 'Ada Lovelace');
  await statement.locator('details.ormc-exact summary').click();
  const exact = await statement.locator('details.ormc-exact code').textContent();
  assert.equal(exact, await statement.getAttribute('data-sql'));
  assert.match(exact, /^SELECT "customers"\."id" AS "id"/);
  await page.screenshot({ path: path.join(SHOTS, 'panel-opened.png') });
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

test('panels sit side by side on a wide screen and stack on a phone', async () => {
  const wide = await open('how-to-read.html');
  const sides = wide.page.locator('#cmp-read-first-look .ormc-side');
  const [a, b] = [await sides.nth(0).boundingBox(), await sides.nth(1).boundingBox()];
  assert.ok(b.x > a.x + a.width - 1 && Math.abs(a.y - b.y) < 2, 'side by side');
  await wide.page.close();

  for (const file of ['how-to-read.html', 'playground.html']) {
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
      await phone.page.locator('.ormc-playground').scrollIntoViewIfNeeded();
    }
    await phone.page.screenshot({ path: path.join(SHOTS, `phone-${file.replace('.html', '')}.png`) });
    await phone.page.close();
  }
});
