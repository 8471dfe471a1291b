// Comparison panels: fill the disclosures whose content the build kept out of
// the page's HTML (and so out of mdBook's search index).
//
// - <details data-deferred="i"> gets fragment i of the JSON list in the nearest
//   <script class="ormc-deferred"> of its panel side; the fragments are HTML the
//   preprocessor built and escaped.
// - <details class="ormc-exact"> gets the exact SQL from its statement's
//   data-sql attribute, inserted as text.
(function () {
  'use strict';

  function fragments(details) {
    var side = details.closest('.ormc-side, .ormc');
    var island = side && side.querySelector('script.ormc-deferred');
    if (!island) return [];
    if (!island._parsed) island._parsed = JSON.parse(island.textContent);
    return island._parsed;
  }

  function fill(details) {
    if (details.dataset.filled) return;
    details.dataset.filled = '1';
    if (details.dataset.deferred !== undefined) {
      var html = fragments(details)[Number(details.dataset.deferred)];
      if (html !== undefined) details.insertAdjacentHTML('beforeend', html);
    } else if (details.classList.contains('ormc-exact')) {
      var statement = details.closest('[data-sql]');
      var pre = document.createElement('pre');
      pre.className = 'ormc-sql-exact';
      var code = document.createElement('code');
      code.className = 'language-sql';
      code.textContent = statement ? statement.dataset.sql : '';
      pre.appendChild(code);
      details.appendChild(pre);
      if (window.hljs) window.hljs.highlightBlock(code);
    }
  }

  // 'toggle' does not bubble; listening in the capture phase sees every one.
  document.addEventListener('toggle', function (event) {
    var details = event.target;
    if (details.open && details.closest && details.closest('.ormc')) fill(details);
  }, true);
})();

// The in-page runner: Run, Edit and Reset on every SQL statement the book shows
// (panel statements, `sql run` blocks, the playground). The engine is the
// book's own, compiled to WebAssembly; it runs in a worker (runner/worker.js),
// loaded on the first Run, never on page load.
(function () {
  'use strict';

  // A runaway query is stopped by the engine's step budget; this only guards
  // against a worker that stops answering at all.
  var WATCHDOG_MS = 15000;
  var worker = null;
  var nextId = 1;
  var pending = {};

  function runnerUrl(file) {
    return (window.path_to_root || '') + 'runner/' + file;
  }

  function restartWorker(reason) {
    if (worker) worker.terminate();
    worker = null;
    Object.keys(pending).forEach(function (id) {
      pending[id]({ status: 'error', message: reason, statement: 0 });
      delete pending[id];
    });
  }

  function ask(message) {
    if (!worker) {
      worker = new Worker(runnerUrl('worker.js'));
      worker.onmessage = function (event) {
        var done = pending[event.data.id];
        delete pending[event.data.id];
        if (done) done(event.data.answer);
      };
      worker.onerror = function () {
        restartWorker('the in-page runner could not start (is runner/ missing from the book?)');
      };
    }
    var id = nextId++;
    message.id = id;
    return new Promise(function (resolve) {
      var timer = setTimeout(function () {
        restartWorker('stopped: no answer after ' + WATCHDOG_MS / 1000 + ' seconds');
      }, WATCHDOG_MS);
      pending[id] = function (answer) { clearTimeout(timer); resolve(answer); };
      worker.postMessage(message);
    });
  }

  function keepChanges() {
    var box = document.querySelector('.ormc-keep input');
    return !!(box && box.checked);
  }

  // Parameters stay the JSON text the build wrote: parsing them in JavaScript
  // would turn 100.0 into 100, and SQLite would then divide as integers.
  function params(statement) {
    return statement.dataset.params || '';
  }

  // What the same panel side sent before this statement, as the JSON list of
  // steps the engine replays first, so a statement runs on the database as the
  // ORM found it.
  function earlier(statement) {
    var steps = [];
    var list = statement.parentElement;
    if (!list || statement.dataset.origin !== 'orm') return '[]';
    // The sqlite3 module's own BEGIN / COMMIT / ROLLBACK count too: a rollback
    // undoes what came before it.
    var items = list.querySelectorAll(':scope > .ormc-stmt[data-sql], :scope > .ormc-stmt[data-origin="driver"]');
    for (var i = 0; i < items.length && items[i] !== statement; i++) {
      var sql = items[i].dataset.sql || items[i].querySelector('code').textContent;
      steps.push('{"sql":' + JSON.stringify(sql) +
        ',"params":' + (params(items[i]) || '[]') +
        ',"many":' + (items[i].dataset.many === 'true') +
        ',"refused":' + ('refused' in items[i].dataset) + '}');
    }
    return '[' + steps.join(',') + ']';
  }

  function highlight(code, sql) {
    if (window.hljs) {
      code.innerHTML = window.hljs.highlight('sql', sql).value;
    } else {
      code.textContent = sql;
    }
  }

  function openEditor(statement, sql) {
    var editor = statement.querySelector('.ormc-editor');
    if (!editor) {
      editor = document.createElement('div');
      editor.className = 'ormc-editor';
      var pre = document.createElement('pre');
      pre.setAttribute('aria-hidden', 'true');
      var code = document.createElement('code');
      code.className = 'language-sql hljs';
      pre.appendChild(code);
      var area = document.createElement('textarea');
      area.spellcheck = false;
      area.setAttribute('aria-label', 'SQL to run');
      area.addEventListener('input', function () { highlight(code, area.value + '\n'); });
      area.addEventListener('keydown', function (event) {
        if ((event.ctrlKey || event.metaKey) && event.key === 'Enter') {
          event.preventDefault();
          run(statement);
        }
      });
      editor.appendChild(pre);
      editor.appendChild(area);
      var shown = statement.querySelector(':scope > pre.ormc-sql');
      shown.hidden = true;
      shown.insertAdjacentElement('afterend', editor);
    }
    var text = editor.querySelector('textarea');
    text.value = sql;
    highlight(editor.querySelector('code'), sql + '\n');
    statement.classList.add('ormc-editing');
    return text;
  }

  function output(statement) {
    var out = statement.querySelector(':scope > .ormc-run-out');
    if (!out) {
      out = document.createElement('div');
      out.className = 'ormc-run-out';
      out.setAttribute('aria-live', 'polite');
      statement.querySelector(':scope > .ormc-run-bar').insertAdjacentElement('afterend', out);
    }
    return out;
  }

  function run(statement) {
    var editor = statement.querySelector('.ormc-editor textarea');
    var edited = !!editor;
    var sql = edited ? editor.value : statement.dataset.sql;
    var out = output(statement);
    out.className = 'ormc-run-out ormc-running';
    out.textContent = 'Running…';
    var started = performance.now();
    return ask({
      op: 'run',
      before: earlier(statement),
      sql: sql,
      params: edited ? '' : params(statement),
      many: statement.dataset.many === 'true',
      keep: keepChanges(),
    }).then(function (answer) {
      out.textContent = '';
      var head = document.createElement('div');
      head.className = 'ormc-run-head';
      if (answer.status === 'ok') {
        out.className = 'ormc-run-out';
        head.textContent = 'Ran in your browser in ' + (performance.now() - started).toFixed(1) +
          ' ms' + (keepChanges() ? ', keeping changes' : ', on a fresh copy of the demo database');
        out.appendChild(head);
        // Fragments are the engine's own HTML, escaped by it (demo_engine::html).
        answer.html.forEach(function (fragment) {
          var part = document.createElement('div');
          part.className = 'ormc-run-result';
          part.innerHTML = fragment;
          out.appendChild(part);
        });
      } else {
        out.className = 'ormc-run-out ormc-run-error';
        head.textContent = 'The database said: ' + answer.message;
        out.appendChild(head);
      }
      return answer;
    });
  }

  function reset(statement) {
    var editor = statement.querySelector('.ormc-editor');
    if (editor) editor.remove();
    var shown = statement.querySelector(':scope > pre.ormc-sql');
    if (shown) shown.hidden = false;
    statement.classList.remove('ormc-editing');
    var out = statement.querySelector(':scope > .ormc-run-out');
    if (out) out.remove();
    if (worker) ask({ op: 'reset' });
    // The playground is always an editor: back to its first starter.
    if (statement.closest('.ormc-playground')) openEditor(statement, statement.dataset.sql);
  }

  function button(label, title, action) {
    var b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.title = title;
    b.className = 'ormc-btn ormc-' + label.toLowerCase();
    b.addEventListener('click', action);
    return b;
  }

  function formatted(statement) {
    var shown = statement.querySelector(':scope > pre.ormc-sql');
    return shown ? shown.textContent : statement.dataset.sql;
  }

  function keepToggle() {
    var label = document.createElement('label');
    label.className = 'ormc-keep';
    label.title = 'Keep the changes a Run makes for the next Run (otherwise each Run starts from a fresh copy)';
    var box = document.createElement('input');
    box.type = 'checkbox';
    box.addEventListener('change', function () {
      document.querySelectorAll('.ormc-keep input').forEach(function (other) { other.checked = box.checked; });
      if (!box.checked && worker) ask({ op: 'reset' });
    });
    label.appendChild(box);
    label.appendChild(document.createTextNode(' keep changes'));
    return label;
  }

  function attach(statement) {
    var bar = document.createElement('div');
    bar.className = 'ormc-run-bar';
    bar.appendChild(button('Run', 'Run this SQL in your browser (Ctrl+Enter in the editor)', function () { run(statement); }));
    bar.appendChild(button('Edit', 'Change the SQL, then Run it', function () { openEditor(statement, formatted(statement)).focus(); }));
    bar.appendChild(button('Reset', 'Back to the SQL the book shows, on a fresh database', function () { reset(statement); }));
    bar.appendChild(keepToggle());
    var after = statement.querySelector(':scope > details.ormc-exact') || statement.querySelector(':scope > pre.ormc-sql');
    after.insertAdjacentElement('afterend', bar);
  }

  function setUpPlayground(playground) {
    var statement = playground.querySelector('.ormc-stmt');
    var area = openEditor(statement, statement.dataset.sql);
    area.rows = 8;
    // Already an editor: Edit has nothing to add here.
    statement.querySelector('.ormc-run-bar .ormc-edit').hidden = true;
    playground.querySelectorAll('.ormc-starter').forEach(function (starter) {
      starter.addEventListener('click', function () {
        openEditor(statement, starter.dataset.sql);
        run(statement);
      });
    });
  }

  function init() {
    document.querySelectorAll('.ormc .ormc-stmt[data-sql]').forEach(attach);
    document.querySelectorAll('.ormc-playground').forEach(setUpPlayground);
    // For tests and the browser benchmark.
    window.ormcRun = run;
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
