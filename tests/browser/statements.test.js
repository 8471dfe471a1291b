// Edit, then Run, unchanged: every statement the book shows, run in Chromium by
// the page's engine on its side's plan, must give the rows the ORM got when the
// book was captured (snippets/captures/current-sqlite/ID.json), or be refused with the same
// words. `sql run` blocks must give the rows the build shows.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { BOOK, useBook } = require('./support');

const CAPTURES = path.resolve(__dirname, '../../snippets/captures/current-sqlite');
const book = useBook({ before, after });

// How a captured value reads in a cell the engine renders (demo_engine::html).
function sameCell(text, value) {
  if (value === null) return text === 'NULL';
  if (typeof value === 'number') return Number(text) === value;
  if (typeof value === 'boolean') return Number(text) === Number(value);
  if (typeof value === 'object') return text === `x'${value.$bytes}'`;
  // Long values are cut, with a note of how many characters were left out.
  const cut = text.match(/^([\s\S]*)… (\d+) more characters$/);
  return cut ? value.startsWith(cut[1]) && value.length === cut[1].length + Number(cut[2]) : text === value;
}

function compareTable(where, got, statement) {
  assert.ok(got.table, `${where}: no table in ${JSON.stringify(got).slice(0, 300)}`);
  assert.deepEqual(got.table.head, statement.columns, `${where}: columns`);
  assert.equal(got.table.total, statement.total_rows, `${where}: row count`);
  const shown = got.table.rows.length;
  const key = (row) => JSON.stringify(row);
  // Rows that tie under ORDER BY may come back in another order: the same rows.
  const expected = statement.rows.slice(0, shown);
  const unmatched = [...got.table.rows];
  for (const row of statement.total_rows > shown ? [] : expected) {
    const at = unmatched.findIndex((cells) => cells.length === row.length && cells.every((t, i) => sameCell(t, row[i])));
    assert.ok(at >= 0, `${where}: row ${key(row)} not in ${key(got.table.rows)}`);
    unmatched.splice(at, 1);
  }
}

test('Edit then Run, unchanged, gives every statement its captured rows', async () => {
  const pages = fs.readdirSync(BOOK).filter((f) => f.endsWith('.html') && !['404.html', 'toc.html', 'print.html'].includes(f));
  let ran = 0;
  let compared = 0;
  let refused = 0;
  for (const file of pages) {
    const { page, problems } = await book.open(file);
    // The panels shown on SQLite (PostgreSQL's are run by postgresql.test.js).
    const panels = await page.locator('.ormc-compare[data-db="sqlite"]').evaluateAll((els) => els.map((el) => el.id.replace(/^cmp-/, '')));
    for (const id of panels) {
      const capture = JSON.parse(fs.readFileSync(path.join(CAPTURES, `${id}.json`), 'utf8'));
      const results = await page.evaluate(async (panelId) => {
        const panel = document.getElementById(`cmp-${panelId}`);
        const data = await window.ormc.dataOf(panel);
        const out = [];
        for (const side of panel.querySelectorAll('.ormc-side')) {
          const index = Number(side.dataset.side);
          const steps = data.plans.sides[index].steps.length;
          const answers = [];
          for (let k = 0; k < steps; k++) {
            const step = window.ormc.stepOf(data.plans, index, k);
            // What the editor starts from: the exact SQL and the parameters' JSON text.
            const answer = await window.ormc.runSteps(side, k, 1, { sql: step.sql, params: step.params }, '');
            let table = null;
            if (answer.status === 'ok') {
              const holder = document.createElement('div');
              holder.innerHTML = answer.html[0];
              const t = holder.querySelector('table.ormc-table');
              if (t) {
                const label = holder.querySelector('.ormc-label').textContent;
                table = {
                  head: [...t.querySelectorAll('th')].map((th) => th.textContent),
                  rows: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent)),
                  total: Number(label.split(' ')[0]),
                };
              }
            }
            answers.push({ status: answer.status, message: answer.message, table });
          }
          out.push(answers);
        }
        return out;
      }, id);
      capture.sections.forEach((section, s) => {
        section.statements.forEach((statement, k) => {
          const where = `${file} ${id} side ${s + 1} statement ${k + 1} (${statement.sql.slice(0, 60)})`;
          const got = results[s][k];
          ran++;
          if (statement.refused) {
            assert.equal(got.status, 'error', `${where}: ran, but the book shows it refused`);
            assert.ok(got.message.includes(statement.refused), `${where}: ${got.message}`);
            refused++;
          } else {
            assert.equal(got.status, 'ok', `${where}: ${got.message}`);
            if (statement.rows) {
              compareTable(where, got, statement);
              compared++;
            }
          }
        });
      });
    }
    // `sql run` blocks: Edit, Run, and the same table as the build's.
    const blocks = await page.evaluate(async () => {
      const cells = (table) => table && JSON.stringify([...table.querySelectorAll('tr')]
        .map((tr) => [...tr.cells].map((c) => c.textContent)));
      const out = [];
      for (const block of document.querySelectorAll('.ormc-sqlrun')) {
        const data = await window.ormc.dataOf(block);
        const list = block.querySelector('[data-side]');
        const statements = block.querySelectorAll('.ormc-stmt[data-step]');
        for (const stmt of statements) {
          const k = Number(stmt.dataset.step);
          const step = window.ormc.stepOf(data.plans, 0, k);
          const answer = await window.ormc.runSteps(list, k, 1, { sql: step.sql, params: '' }, '');
          const built = stmt.querySelector('table.ormc-table');
          const holder = document.createElement('div');
          if (answer.status === 'ok') holder.innerHTML = answer.html[0];
          const got = holder.querySelector('table.ormc-table');
          out.push({ status: answer.status, message: answer.message, refused: step.refused,
            same: built ? cells(got) === cells(built) : true });
        }
      }
      return out;
    });
    for (const [i, block] of blocks.entries()) {
      ran++;
      if (block.refused) {
        assert.equal(block.status, 'error', `${file} sql block statement ${i + 1}`);
        refused++;
      } else {
        assert.equal(block.status, 'ok', `${file} sql block statement ${i + 1}: ${block.message}`);
        assert.ok(block.same, `${file} sql block statement ${i + 1}: other rows than the build's`);
        compared++;
      }
    }
    assert.deepEqual(problems, [], file);
    await page.close();
  }
  console.log(`Edit then Run, unchanged: ${ran} statements, ${compared} tables compared, ${refused} refused as in the book`);
  assert.ok(ran >= 1800, `ran ${ran}`);
});
