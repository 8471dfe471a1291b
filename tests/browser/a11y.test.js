// Accessibility of the book's own markup, measured by axe-core in Chromium:
// - every rule of WCAG 2 A and AA on the pages that matter most, in the light
//   theme, with every disclosure of the panels opened;
// - text contrast (axe's color-contrast rule) in all five mdBook themes.
// The scope is the page's content (`main`): mdBook's own chrome is mdBook's.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { useBook } = require('./support');

const AXE = require.resolve('axe-core/axe.min.js');
const PAGES = ['index.html', 'n-plus-one.html', 'migrations.html', 'decision-guide.html', 'rosetta.html', 'playground.html'];
const THEMES = ['light', 'rust', 'coal', 'navy', 'ayu'];

const book = useBook({ before, after });

async function openThemed(file, theme) {
  const context = await book.browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addInitScript((t) => { localStorage.setItem('mdbook-theme', t); }, theme);
  const page = await context.newPage();
  await page.goto(`${book.site.origin}/${file}`);
  await page.waitForLoadState('load');
  await page.waitForFunction(() => document.documentElement.dataset.ormcMeasured === 'yes');
  return { page, context };
}

// Opens every disclosure of the panels (rows, exact SQL, groups) and waits for them
// to fill, so that axe sees what a reader who opened everything sees.
async function openEverything(page) {
  await page.evaluate(async () => {
    const all = () => [...document.querySelectorAll('.ormc details:not([open])')];
    for (let round = 0; round < 3 && all().length; round++) {
      all().forEach((d) => { d.open = true; });
      await new Promise((r) => setTimeout(r, 50));
      const start = Date.now();
      while (document.querySelector('.ormc-filled') && [...document.querySelectorAll('.ormc-filled')]
        .some((h) => h.textContent === 'Loading…') && Date.now() - start < 20000) {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
}

async function axe(page, options, context = 'main') {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async ([opts, where]) => {
    const results = await window.axe.run(where, opts);
    return results.violations.map((v) => ({
      id: v.id,
      nodes: v.nodes.length,
      where: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}: ${n.failureSummary.split('\n')[1] || ''}`),
    }));
  }, [options, context]);
}

test('no WCAG 2 A/AA violation in the book\'s own markup, disclosures open', async () => {
  const report = {};
  for (const file of PAGES) {
    const { page, context } = await openThemed(file, 'light');
    await openEverything(page);
    report[file] = await axe(page, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    await context.close();
  }
  console.log('axe, light theme:', JSON.stringify(Object.fromEntries(Object.entries(report).map(([f, v]) => [f, v.length]))));
  for (const [file, violations] of Object.entries(report)) {
    assert.deepEqual(violations, [], `${file}: ${JSON.stringify(violations, null, 1)}`);
  }
});

// The book's own elements: panels, SQL blocks, the appendix, the playground, the
// decision guide. (The prose's links are mdBook's theme: its "rust" links measure
// 3.7:1 on their background.)
const OURS = { include: [['.ormc'], ['.dg-guide']] };

test('text contrast of at least 4.5:1 in every theme', async () => {
  const counts = {};
  for (const theme of THEMES) {
    counts[theme] = 0;
    for (const file of ['n-plus-one.html', 'rosetta.html', 'playground.html', 'decision-guide.html', 'bulk-loading.html']) {
      const { page, context } = await openThemed(file, theme);
      if (file === 'n-plus-one.html') await openEverything(page);
      const violations = await axe(page, { runOnly: { type: 'rule', values: ['color-contrast'] } }, OURS);
      counts[theme] += violations.reduce((n, v) => n + v.nodes, 0);
      assert.deepEqual(violations, [], `${theme} ${file}: ${JSON.stringify(violations, null, 1)}`);
      await context.close();
    }
  }
  console.log('axe color-contrast nodes per theme:', JSON.stringify(counts));
});
