// The decision guide in real Chromium: two answer paths walked one question at
// a time to two recommendations whose reasons link to pages of the book; a tie
// and a lean in the all-questions view; keyboard, Back, Start over, a link to a
// question and answers kept across pages; and, with JavaScript off, the whole
// guide as prose.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { BOOK, SHOTS, useBook } = require('./support');

const book = useBook({ before, after });
const GUIDE = 'decision-guide.html';
const DESKTOP = { width: 1400, height: 1000 };
const PHONE = { width: 390, height: 844 };

// A page of the guide in a context of its own (fresh sessionStorage), in the
// given mdBook theme, collecting console errors and requests leaving the site.
async function openGuide({ theme = 'light', viewport = DESKTOP, javaScriptEnabled = true, file = GUIDE } = {}) {
  const context = await book.browser.newContext({ viewport, javaScriptEnabled });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith(book.site.origin)) problems.push(`request outside the site: ${r.url()}`);
  });
  await page.addInitScript((name) => window.localStorage.setItem('mdbook-theme', name), theme);
  await page.goto(`${book.site.origin}/${file}`);
  return { page, problems, close: () => context.close() };
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const radio = (page, start) => page.getByRole('radio', { name: new RegExp(`^${escape(start)}`) });

// Answers each question by the start of its label, pressing Next after each.
async function walk(page, answers) {
  for (const [index, start] of answers.entries()) {
    assert.equal(await page.locator('.dg-progress-text').textContent(), `Question ${index + 1} of ${answers.length}`);
    await radio(page, start).check();
    const next = page.locator('.dg-nav .dg-primary');
    const last = index === answers.length - 1;
    assert.equal(await next.textContent(), last ? 'See the recommendation' : 'Next question');
    await next.click();
  }
  await page.locator('.dg-result').waitFor();
}

async function verdict(page) {
  return page.evaluate(() => ({
    eyebrow: document.querySelector('.dg-eyebrow').textContent,
    title: document.querySelector('#dg-result-title').textContent,
    score: [...document.querySelectorAll('.dg-score li')].map((li) => li.textContent),
    headings: [...document.querySelectorAll('.dg-result h3')].map((h) => h.textContent),
    reasons: [...document.querySelectorAll('.dg-result .dg-reasons')].map((ul) => ul.children.length),
    focused: document.activeElement && document.activeElement.id,
  }));
}

// Every link in the recommendation's reasons: a page of the built book, and
// the element its fragment names, when it has one.
async function checkReasonLinks(page) {
  const hrefs = await page.locator('.dg-result .dg-reasons a[href]').evaluateAll((links) => links.map((a) => a.href));
  assert.ok(hrefs.length >= 5, `only ${hrefs.length} links`);
  for (const href of hrefs) {
    const url = new URL(href);
    assert.equal(url.origin, book.site.origin, href);
    assert.match(url.pathname, /\.html$/, `${href}: not rewritten to .html`);
    const file = path.join(BOOK, decodeURIComponent(url.pathname));
    assert.ok(fs.existsSync(file), `${href}: no such page in the book`);
    if (url.hash) {
      const id = decodeURIComponent(url.hash.slice(1));
      assert.ok(fs.readFileSync(file, 'utf8').includes(`id="${id}"`), `${href}: no element #${id}`);
    }
  }
  return hrefs;
}

test('a Django project with ordinary queries gets the Django ORM, with its reasons', async () => {
  const { page, problems, close } = await openGuide();
  await walk(page, [
    'Yes, or it will use',
    'No, the code is synchronous',
    'Filters, joins, aggregates',
    'No, the work comes',
    'Mostly one writer per row',
    'The Django ORM',
    'One declaration',
  ]);
  const result = await verdict(page);
  assert.equal(result.eyebrow, 'Recommendation');
  assert.equal(result.title, 'The Django ORM');
  assert.deepEqual(result.score, ['Django ORM6 points', 'SQLAlchemy0 points']);
  assert.equal(result.headings[0], 'Why the Django ORM');
  assert.ok(!result.headings.includes('What speaks for SQLAlchemy'));
  assert.equal(result.reasons[0], 4, 'four answers gave the Django ORM points');
  assert.equal(result.focused, 'dg-result-title', 'the recommendation takes the focus');
  assert.equal(await page.locator('.dg-question:visible, .dg-guide > .dg-nav:visible').count(), 0,
    'the questions and their buttons make way for the recommendation');
  assert.equal(await page.locator('.dg-neutral summary').textContent(), 'What does not decide it (3 answers)');
  const links = await checkReasonLinks(page);
  assert.ok(links.some((href) => href.includes('framework-vs-toolkit.html#')));
  await page.screenshot({ path: path.join(SHOTS, 'guide-django-light.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await close();
});

test('an async FastAPI service with CTEs gets SQLAlchemy, with its reasons', async () => {
  const { page, problems, close } = await openGuide({ theme: 'navy' });
  await walk(page, [
    'No: FastAPI',
    'Yes: the service is async',
    'Common table expressions',
    'Yes: imports, ETL',
    'Yes: stock levels',
    'SQLAlchemy, or SQL itself',
    'A typed class',
  ]);
  const result = await verdict(page);
  assert.equal(result.title, 'SQLAlchemy');
  assert.deepEqual(result.score, ['Django ORM0 points', 'SQLAlchemy11 points']);
  assert.deepEqual(result.headings.slice(0, 2), ['Why SQLAlchemy', 'Keep in mind']);
  assert.deepEqual(result.reasons, [7, 5], 'seven reasons, five notes');
  // Strongest first: the framework (3), then async and CTEs (2 each).
  const weights = await page.locator('.dg-result .dg-reasons').first().locator('.dg-pill').allTextContents();
  assert.deepEqual(weights.slice(0, 3), ['3 points', '2 points', '2 points']);
  const links = await checkReasonLinks(page);
  assert.ok(links.some((href) => href.includes('windows-ctes-lateral.html#cmp-cte-category-tree')));
  await page.screenshot({ path: path.join(SHOTS, 'guide-sqlalchemy-navy.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await close();
});

test('all questions at once: a tie is called a tie, one point more a lean', async () => {
  const { page, problems, close } = await openGuide({ theme: 'coal' });
  await page.getByRole('button', { name: 'Show all questions at once' }).click();
  assert.equal(await page.locator('.dg-question:visible').count(), 7);
  const live = page.locator('.dg-verdict[role="status"][aria-live="polite"]');
  assert.equal(await live.count(), 1);
  assert.equal(await page.locator('#dg-result-title').textContent(), 'Both fit');
  await radio(page, 'Yes, or it will use').check();
  await radio(page, 'Yes: the service is async').check();
  await radio(page, 'Much of it is SQL').check();
  let result = await verdict(page);
  assert.equal(result.eyebrow, 'A tie');
  assert.equal(result.title, 'No winner: 3 points each');
  assert.deepEqual(result.headings.slice(0, 2), ['What speaks for the Django ORM', 'What speaks for SQLAlchemy']);
  await radio(page, 'The Django ORM').check();
  result = await verdict(page);
  assert.equal(result.eyebrow, 'A slight lean');
  assert.equal(result.title, 'Leaning towards the Django ORM');
  assert.match(await live.textContent(), /one point ahead, 4 to 3/);
  await page.locator('.dg-result').screenshot({ path: path.join(SHOTS, 'guide-lean-coal.png') });
  assert.deepEqual(problems, []);
  await close();
});

test('keyboard, Back, a link to a question, Start over, and answers kept across pages', async () => {
  const { page, problems, close } = await openGuide({ viewport: PHONE });
  const first = radio(page, 'Yes, or it will use');
  await first.focus();
  await page.keyboard.press('ArrowDown');
  assert.ok(await radio(page, 'No: FastAPI').isChecked(), 'arrow keys choose an answer');
  const shown = page.locator('.dg-question:visible .dg-answer:visible');
  assert.equal(await shown.count(), 1, 'only the chosen answer is explained');
  assert.equal(await shown.getAttribute('data-dg-answer'), 'other');
  await page.getByRole('button', { name: 'Next question' }).focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('.dg-progress-text').textContent(), 'Question 2 of 7');
  assert.equal(await page.evaluate(() => document.activeElement.id), '2-will-the-database-code-run-under-asyncio');
  await page.getByRole('button', { name: 'Skip this question' }).waitFor();
  await page.getByRole('button', { name: 'Back' }).click();
  assert.ok(await radio(page, 'No: FastAPI').isChecked(), 'Back keeps the answer');

  // A link to a question's heading (the sidebar has them) opens that question.
  await page.goto(`${book.site.origin}/${GUIDE}#5-do-several-requests-or-processes-change-the-same-rows`);
  assert.equal(await page.locator('.dg-progress-text').textContent(), 'Question 5 of 7');

  // Off to a chapter and back: the answers are still there.
  await page.goto(`${book.site.origin}/n-plus-one.html`);
  assert.equal(await page.locator('.dg-toolbar').count(), 0, 'other pages are left alone');
  await page.goBack();
  await page.locator('.dg-toolbar').waitFor();
  assert.equal(await page.locator('.dg-progress-text').textContent(), 'Question 5 of 7');
  assert.ok(await page.locator('#dg-framework-other').isChecked(), 'kept across pages');

  await page.getByRole('button', { name: 'Start over' }).click();
  assert.equal(await page.locator('.dg-progress-text').textContent(), 'Question 1 of 7');
  assert.equal(await page.locator('.dg-choices input:checked').count(), 0);
  await radio(page, 'No: FastAPI').check();
  await page.screenshot({ path: path.join(SHOTS, 'guide-step-phone-light.png') });
  assert.deepEqual(problems, []);
  await close();
});

test('without JavaScript every question and answer reads as prose, points included', async () => {
  const { page, close } = await openGuide({ javaScriptEnabled: false });
  const questions = page.locator('.dg-question');
  assert.equal(await questions.count(), 7);
  for (let i = 0; i < 7; i++) assert.ok(await questions.nth(i).locator('h2').isVisible(), `question ${i + 1}`);
  assert.equal(await page.locator('.dg-choices, .dg-toolbar, .dg-result').count(), 0);
  const answers = await page.locator('.dg-answer').evaluateAll((nodes) => nodes.map((a) => ({
    label: a.querySelector('p > strong').textContent,
    badge: a.querySelector('.dg-points').textContent,
    side: a.dataset.dgSide,
    weight: Number(a.dataset.dgWeight),
    links: a.querySelectorAll('a[href]').length,
  })));
  assert.ok(answers.length >= 20, `${answers.length} answers`);
  const names = { django: 'the Django ORM', sqlalchemy: 'SQLAlchemy' };
  for (const a of answers) {
    assert.ok(a.label.length > 3, 'every answer starts with its label in bold');
    // The text a reader adds up is the number the script adds up.
    const expected = a.weight === 0 ? 'no points'
      : `${a.weight} ${a.weight === 1 ? 'point' : 'points'} for ${names[a.side]}`;
    assert.equal(a.badge, expected, a.label);
  }
  assert.ok(answers.filter((a) => a.weight > 0).every((a) => a.links > 0), 'every answer with points links its evidence');
  // The most each side can collect, as the weighing section states it.
  const most = await page.locator('.dg-question').evaluateAll((nodes) => ['django', 'sqlalchemy'].map((side) =>
    nodes.reduce((sum, q) => sum + Math.max(0, ...[...q.querySelectorAll(`.dg-answer[data-dg-side="${side}"]`)]
      .map((a) => Number(a.dataset.dgWeight))), 0)));
  const weighing = await page.locator('#how-the-guide-weighs-your-answers ~ p').allTextContents();
  assert.ok(weighing.some((p) => p.includes(`at most ${most[0]} points and SQLAlchemy ${most[1]}`)), `${most}`);
  for (const a of await page.locator('.dg-answer').all()) assert.ok(await a.isVisible());
  await page.screenshot({ path: path.join(SHOTS, 'guide-nojs.png') });
  await close();
});
