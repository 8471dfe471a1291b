// Comparison panels and SQL blocks in the page.
//
// The build puts the answer in the page (each side's query count, result and
// checks, and its statements, grouped). What a reader may ask for next comes on
// demand, from two places:
//
// - a panel's data file (`data-href`, written by the build next to the pages):
//   its sides' replay plans, packed (demo_engine::plan::PlanSet: each distinct
//   SQL text and parameter list once), and the notes beside statements of closed
//   groups; a `sql run` block carries its small plan inline;
// - the book's engine, compiled to WebAssembly, in a worker (runner/worker.js),
//   loaded on the first Run: it replays a side's plan with the same code the build
//   checked it with (Session::replay), so a statement runs on the database as the
//   ORM found it, and the rows behind "Returned N rows" are computed, not shipped.
//
// Nothing here builds HTML from values: the engine's fragments are its own escaped
// HTML (demo_engine::html), and plan text goes in as text.
(function () {
  'use strict';

  // A Run gets book.toml's `page-run-seconds` (in the block's data-limits) before
  // its worker is replaced: on SQLite a backstop behind the engine's step budget,
  // on PostgreSQL the budget itself (PGlite ignores statement_timeout). A worker's
  // first answer may also wait for its engine to download (PGlite's is about 6 MB
  // compressed): that download gets this much more.
  var DOWNLOAD_ALLOWANCE_MS = 45000;
  function runMs(limits) {
    return JSON.parse(limits).run_seconds * 1000;
  }

  function root() {
    return window.path_to_root || '';
  }

  // ---- a block's data: plans and notes ------------------------------------

  function blockOf(element) {
    return element.closest('.ormc');
  }

  function sideOf(element) {
    var side = element.closest('[data-side]');
    return side ? Number(side.dataset.side) : 0;
  }

  // A chapter's data file, fetched once for all its panels.
  var files = {};
  function dataFile(href) {
    if (!files[href]) {
      files[href] = fetch(root() + href).then(function (response) {
        if (!response.ok) throw new Error('could not load ' + href);
        return response.json();
      });
    }
    return files[href];
  }

  // A panel's entry in its chapter's data file (or, for a SQL block, its island).
  function entryOf(block) {
    if (!block._entry) {
      if (block.dataset.href) {
        var id = block.id.replace(/^cmp-/, '');
        block._entry = dataFile(block.dataset.href).then(function (file) {
          if (!file[id]) throw new Error('no data for ' + id + ' in ' + block.dataset.href);
          return file[id];
        });
      } else {
        var island = block.querySelector('script.ormc-plans');
        block._entry = Promise.resolve({ plans: JSON.parse(island ? island.textContent : '{}') });
      }
    }
    return block._entry;
  }

  // The database a block shows now: the one its page was built with, or another
  // one the reader switched to (see showDatabase).
  function databaseOf(block) {
    return block.dataset.db || 'sqlite';
  }

  // Resolves to { plans, plansText, notes, upgrade, html } for a block on
  // `database` (by default the one it shows), fetched once.
  function dataOf(block, database) {
    database = database || databaseOf(block);
    if (!block._data) block._data = {};
    if (!block._data[database]) {
      block._data[database] = entryOf(block).then(function (entry) {
        var parsed = entry;
        if (database !== (block._built || databaseOf(block))) {
          parsed = entry.databases && entry.databases[database];
          if (!parsed) throw new Error('no data for this panel on ' + database);
        }
        // Plans hold each parameter list as its JSON text: a round trip through
        // JSON.parse and JSON.stringify keeps every byte the engine reads.
        return {
          plans: parsed.plans,
          plansText: JSON.stringify(parsed.plans),
          notes: parsed.notes,
          upgrade: parsed.upgrade,
          html: parsed.html,
        };
      });
    }
    return block._data[database];
  }

  // A step of side `side`: its exact SQL and parameters (as JSON text).
  function stepOf(plans, side, index, setup) {
    var packed = plans.sides[side][setup ? 'setup' : 'steps'][index];
    return {
      sql: plans.sql[packed[0]],
      params: plans.params[packed[1]],
      many: packed[2] === 1,
      refused: packed.length > 3 ? packed[3] : null,
    };
  }

  function noteOf(notes, side, index, setup) {
    if (!notes) return '';
    return notes.texts[notes.sides[side][setup ? 'setup' : 'steps'][index]] || '';
  }

  // ---- the engines, each in a worker -----------------------------------------

  // SQLite: the book's engine. PostgreSQL: PGlite, driven by the same engine's
  // plans (src/runner/pg-worker.js), loaded only when a reader first runs a
  // statement shown on PostgreSQL.
  var WORKERS = { sqlite: 'runner/worker.js', postgresql: 'runner/pg-worker.js' };
  var workers = {};
  var answered = {};
  var nextId = 1;
  var pending = {};

  function restartWorker(database, reason) {
    if (workers[database]) workers[database].terminate();
    delete workers[database];
    Object.keys(pending).forEach(function (id) {
      if (pending[id].database !== database) return;
      pending[id].done({ status: 'error', message: reason, statement: 0 });
      delete pending[id];
    });
  }

  function workerFor(database) {
    if (!workers[database]) {
      var worker = new Worker(root() + WORKERS[database]);
      worker.onmessage = function (event) {
        answered[database] = true;
        var waiting = pending[event.data.id];
        delete pending[event.data.id];
        if (waiting) waiting.done(event.data.answer);
      };
      worker.onerror = function () {
        restartWorker(database, 'the in-page runner could not start (is runner/ missing from the book?)');
      };
      workers[database] = worker;
    }
    return workers[database];
  }

  function ask(message, limits, database) {
    database = WORKERS[database] ? database : 'sqlite';
    var worker = workerFor(database);
    var id = nextId++;
    message.id = id;
    message.limits = limits;
    return new Promise(function (resolve) {
      var wait = runMs(limits) + (answered[database] ? 0 : DOWNLOAD_ALLOWANCE_MS);
      var timer = setTimeout(function () {
        restartWorker(database, 'stopped: no answer after ' + wait / 1000 + ' seconds');
      }, wait);
      pending[id] = { database: database, done: function (answer) { clearTimeout(timer); resolve(answer); } };
      worker.postMessage(message);
    });
  }

  // The key of the copy of the database kept for this block while "keep changes"
  // is ticked ('' when it is not: every Run starts from a fresh copy).
  var blocks = 0;
  function keeping(block) {
    var box = block.querySelector('.ormc-keep input');
    if (!box || !box.checked) return '';
    if (!block._key) block._key = block.id || 'block-' + (++blocks);
    return block._key;
  }

  // Runs steps from..from+count of the side `element` belongs to; `edit`, when
  // given, is { sql, params } as the reader wrote them. `keep` is the panel's key
  // (see keeping), or '' for the rows of a disclosure (always the book's database).
  function runSteps(element, from, count, edit, keep) {
    var block = blockOf(element);
    return dataOf(block).then(function (data) {
      return ask({
        op: 'plan',
        plans: data.plansText,
        side: sideOf(element),
        from: from,
        to: from + count,
        sql: edit ? edit.sql : '',
        params: edit ? edit.params : '',
        keep: keep,
      }, block.dataset.limits, databaseOf(block));
    }, function (error) {
      return { status: 'error', message: String(error.message || error), statement: 0 };
    });
  }

  // ---- showing answers ------------------------------------------------------

  function show(holder, answer, labels) {
    holder.textContent = '';
    if (answer.status !== 'ok') {
      holder.classList.add('ormc-run-error');
      var head = document.createElement('div');
      head.className = 'ormc-run-head';
      head.textContent = 'The database said: ' + answer.message;
      holder.appendChild(head);
      return;
    }
    holder.classList.remove('ormc-run-error');
    answer.html.forEach(function (fragment, i) {
      var part = document.createElement('div');
      part.className = 'ormc-run-result';
      if (labels && labels[i]) {
        var label = document.createElement('div');
        label.className = 'ormc-run-label';
        label.textContent = labels[i];
        part.appendChild(label);
      }
      // The engine's own HTML, escaped by it (demo_engine::html).
      part.insertAdjacentHTML('beforeend', fragment);
      // Measured once in the page: a detached element has no width.
      holder.appendChild(part);
      part.querySelectorAll('.ormc-table-wrap').forEach(markScrollable);
    });
  }

  // ---- Run and Edit on a statement or a group of repeated statements ---------

  function describe(stmt) {
    var block = blockOf(stmt);
    var side = stmt.closest('.ormc-side');
    var n = stmt.querySelector(':scope > .ormc-n');
    var which = n ? n.textContent : String(Number(stmt.dataset.step) + 1);
    var plural = Number(stmt.dataset.steps) > 1 ? 'statements ' : 'statement ';
    var where = side ? ' (' + side.getAttribute('aria-label') + ')' :
      block.classList.contains('ormc-sqlrun') ? ' of this SQL block' : '';
    return plural + which + where;
  }

  function paramsText(stmt, data, edit) {
    var from = Number(stmt.dataset.step);
    var count = Number(stmt.dataset.steps);
    var side = sideOf(stmt);
    var texts = [];
    for (var i = from; i < from + count; i++) texts.push(stepOf(data.plans, side, i).params);
    // One execution: its list; several: a list of their lists (JSON text joined,
    // never parsed, so the numbers stay as written).
    return count === 1 ? texts[0] : '[' + texts.join(', ') + ']';
  }

  // mdBook bundles highlight.js 10: highlight(language, code) and highlightBlock.
  function highlight(code, sql) {
    if (window.hljs) {
      code.innerHTML = window.hljs.highlight('sql', sql).value;
    } else {
      code.textContent = sql;
    }
  }

  // A textarea over a highlighted copy of its SQL, in one box: the copy is for the eye (hidden
  // from screen readers), the textarea is what is edited and read out.
  // Ctrl/Cmd+Enter calls onRun.
  function sqlEditor(label, onRun) {
    var box = document.createElement('div');
    box.className = 'ormc-editor-sql';
    var pre = document.createElement('pre');
    pre.setAttribute('aria-hidden', 'true');
    var code = document.createElement('code');
    code.className = 'language-sql hljs';
    pre.appendChild(code);
    var area = document.createElement('textarea');
    area.spellcheck = false;
    area.setAttribute('aria-label', label);
    var paint = function () { highlight(code, area.value + '\n'); };
    area.addEventListener('input', paint);
    area.addEventListener('keydown', function (event) {
      if ((event.ctrlKey || event.metaKey) && event.key === 'Enter') {
        event.preventDefault();
        onRun();
      }
    });
    box.appendChild(pre);
    box.appendChild(area);
    return { box: box, area: area, load: function (sql) { area.value = sql; paint(); } };
  }

  function editorOf(stmt) {
    return stmt.querySelector(':scope > .ormc-editor');
  }

  function openEditor(stmt, data) {
    var editor = editorOf(stmt);
    if (editor) return editor.querySelector('textarea');
    var from = Number(stmt.dataset.step);
    var step = stepOf(data.plans, sideOf(stmt), from);
    editor = document.createElement('div');
    editor.className = 'ormc-editor';
    var sql = sqlEditor('SQL of ' + describe(stmt), function () { run(stmt); });
    sql.load(step.sql.trim());
    var area = sql.area;
    editor.appendChild(sql.box);
    var params = paramsText(stmt, data);
    if (params !== '[]' && params.replace(/[\s\[\],]/g, '') !== '') {
      var label = document.createElement('label');
      label.className = 'ormc-editor-params';
      label.textContent = Number(stmt.dataset.steps) > 1 ?
        'Parameters, one list per execution (JSON)' : 'Parameters (JSON)';
      var input = document.createElement('textarea');
      input.spellcheck = false;
      input.className = 'ormc-params-input';
      input.rows = Math.min(6, 1 + Math.floor(params.length / 80));
      input.value = params;
      label.appendChild(input);
      editor.appendChild(label);
    }
    stmt.querySelector(':scope > .ormc-run-bar').insertAdjacentElement('beforebegin', editor);
    stmt.classList.add('ormc-editing');
    var reset = stmt.querySelector(':scope > .ormc-run-bar .ormc-reset');
    if (reset) reset.hidden = false;
    return area;
  }

  function editOf(stmt) {
    var editor = editorOf(stmt);
    if (!editor) return null;
    var params = editor.querySelector('.ormc-params-input');
    return { sql: editor.querySelector('textarea').value, params: params ? params.value : '' };
  }

  function outputOf(stmt) {
    var out = stmt.querySelector(':scope > .ormc-run-out');
    if (!out) {
      out = document.createElement('div');
      out.className = 'ormc-run-out';
      out.setAttribute('role', 'status');
      stmt.querySelector(':scope > .ormc-run-bar').insertAdjacentElement('afterend', out);
    }
    return out;
  }

  function run(stmt) {
    var from = Number(stmt.dataset.step);
    var count = Number(stmt.dataset.steps);
    var block = blockOf(stmt);
    var out = outputOf(stmt);
    out.classList.add('ormc-running');
    out.textContent = 'Running…';
    var started = performance.now();
    var keep = keeping(block);
    return runSteps(stmt, from, count, editOf(stmt), keep).then(function (answer) {
      out.classList.remove('ormc-running');
      var labels = null;
      if (count > 1) {
        labels = [];
        for (var i = 0; i < count; i++) labels.push('Statement ' + (from + i + 1));
      }
      show(out, answer, labels);
      if (answer.status === 'ok') {
        var head = document.createElement('div');
        head.className = 'ormc-run-head';
        head.textContent = 'Ran in your browser in ' + (performance.now() - started).toFixed(1) +
          ' ms, ' + (keep ? 'keeping changes' : 'after the statements before it, on a fresh copy of the demo database');
        out.insertBefore(head, out.firstChild);
      }
      out.scrollIntoView({ block: 'nearest' });
      return answer;
    });
  }

  function reset(stmt) {
    var editor = editorOf(stmt);
    if (editor) editor.remove();
    stmt.classList.remove('ormc-editing');
    var out = stmt.querySelector(':scope > .ormc-run-out');
    if (out) out.remove();
    var button = stmt.querySelector(':scope > .ormc-run-bar .ormc-reset');
    if (button) button.hidden = true;
  }

  function button(text, label, action) {
    var b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.setAttribute('aria-label', label);
    b.className = 'ormc-btn ormc-' + text.toLowerCase();
    b.addEventListener('click', action);
    return b;
  }

  function attach(stmt) {
    if (stmt.querySelector(':scope > .ormc-run-bar')) return;
    var what = describe(stmt);
    var bar = document.createElement('div');
    bar.className = 'ormc-run-bar';
    bar.appendChild(button('Run', 'Run ' + what, function () { run(stmt); }));
    bar.appendChild(button('Edit', 'Edit ' + what, function () {
      dataOf(blockOf(stmt)).then(function (data) { openEditor(stmt, data).focus(); });
    }));
    var undo = button('Reset', 'Reset ' + what + ' to the SQL the book shows', function () { reset(stmt); });
    undo.hidden = true;
    bar.appendChild(undo);
    stmt.appendChild(bar);
    // The bar now fills the room the page kept for it (ormcompare.css).
    stmt.classList.add('ormc-ready');
  }

  // "keep changes", once per panel or SQL block.
  function keepToggle(block) {
    var bar = block.querySelector(':scope > .ormc-bar');
    if (!bar) {
      bar = document.createElement('div');
      bar.className = 'ormc-bar';
      block.insertBefore(bar, block.firstChild);
    }
    var label = document.createElement('label');
    label.className = 'ormc-keep';
    var box = document.createElement('input');
    box.type = 'checkbox';
    box.addEventListener('change', function () {
      if (!box.checked && block._key) {
        Object.keys(workers).forEach(function (database) {
          ask({ op: 'reset', keep: block._key }, block.dataset.limits, database);
        });
      }
    });
    label.appendChild(box);
    label.appendChild(document.createTextNode(' keep changes between Runs in this example'));
    bar.appendChild(label);
  }

  // ---- disclosures filled on demand -----------------------------------------

  function textBlock(className, text, language) {
    var pre = document.createElement('pre');
    pre.className = className;
    var code = document.createElement('code');
    if (language) code.className = 'language-' + language;
    code.textContent = text;
    pre.appendChild(code);
    if (language && window.hljs) window.hljs.highlightBlock(code);
    // Measured once it is in the page.
    setTimeout(function () { markScrollable(pre); }, 0);
    return pre;
  }

  // One statement of a closed group, built from the plan: its number, exact SQL,
  // parameters and what it gave.
  function groupItem(data, side, index, setup) {
    var step = stepOf(data.plans, side, index, setup);
    var li = document.createElement('li');
    li.className = 'ormc-stmt';
    if (!setup) {
      li.dataset.step = index;
      li.dataset.steps = 1;
      var n = document.createElement('span');
      n.className = 'ormc-n';
      n.textContent = String(index + 1);
      li.appendChild(n);
    }
    li.appendChild(textBlock('ormc-sql', step.sql.trim(), 'sql'));
    if (step.params !== '[]') {
      var params = document.createElement('div');
      params.className = 'ormc-params';
      var code = document.createElement('code');
      code.className = 'ormc-param-values';
      code.textContent = step.params;
      params.appendChild(code);
      li.appendChild(params);
    }
    var note = noteOf(data.notes, side, index, setup);
    if (note) {
      var span = document.createElement('span');
      span.className = 'ormc-note';
      span.textContent = note;
      li.appendChild(span);
    }
    return li;
  }

  function fillGroup(group, data) {
    var side = sideOf(group);
    var list = document.createElement('ol');
    list.className = 'ormc-stmts';
    // In the page first: an item's controls name its side and block.
    group.querySelector(':scope > details').appendChild(list);
    if (group.dataset.setup) {
      for (var i = 0; i < Number(group.dataset.setup); i++) list.appendChild(groupItem(data, side, i, true));
    } else {
      var from = Number(group.dataset.step);
      for (var j = from; j < from + Number(group.dataset.steps); j++) attach(list.appendChild(groupItem(data, side, j, false)));
    }
    list.querySelectorAll('pre').forEach(markScrollable);
  }

  // The disclosures whose content comes from the chapter's data file or a replay;
  // every other one holds its content already.
  var FILLED = '.ormc-rows, .ormc-exact, .ormc-long-params, .ormc-group > details, .ormc-upgrade';

  function fill(details) {
    if (details.dataset.filled || !details.matches(FILLED)) return;
    details.dataset.filled = '1';
    var block = blockOf(details);
    var holder = document.createElement('div');
    holder.className = 'ormc-filled';
    holder.textContent = 'Loading…';
    // Above what the disclosure holds already (the upgrade marker's link).
    details.insertBefore(holder, details.querySelector(':scope > .ormc-upgrade-more'));
    var done = function (fillWith) {
      return function (value) { holder.textContent = ''; fillWith(value); };
    };
    var failed = function (error) { holder.textContent = 'Could not load this: ' + (error.message || error); };
    var stmt = details.closest('[data-step]');
    if (details.classList.contains('ormc-rows')) {
      // The rows the build got: the same replay, run here.
      runSteps(details, Number(details.dataset.step), 1, null, '').then(done(function (answer) {
        show(holder, answer);
      }), failed);
    } else if (details.classList.contains('ormc-exact')) {
      dataOf(block).then(done(function (data) {
        holder.appendChild(textBlock('ormc-sql-exact', stepOf(data.plans, sideOf(stmt), Number(stmt.dataset.step)).sql, 'sql'));
      }), failed);
    } else if (details.classList.contains('ormc-long-params')) {
      dataOf(block).then(done(function (data) {
        holder.appendChild(textBlock('ormc-param-values ormc-long', paramsText(stmt, data)));
      }), failed);
    } else if (details.classList.contains('ormc-upgrade')) {
      // The statement diff against the previous releases, rendered (and escaped) by
      // the build; it goes above the link to the upgrade page.
      dataOf(block).then(done(function (data) {
        var html = data.upgrade && data.upgrade[sideOf(details)];
        if (!html) throw new Error('no difference recorded for this side');
        holder.insertAdjacentHTML('beforeend', html);
      }), failed);
    } else if (details.parentElement.classList.contains('ormc-group')) {
      holder.remove();
      dataOf(block).then(function (data) { fillGroup(details.parentElement, data); }, failed);
    }
  }

  // ---- scrolling regions take the keyboard ------------------------------------

  // Code and tables never wrap inside a name: they scroll sideways. A region that
  // does scroll must be reachable by keyboard, and says so.
  function markScrollable(element) {
    setScrollable(element, element.scrollWidth > element.clientWidth + 1 ||
      (element.scrollHeight > element.clientHeight + 1 && getComputedStyle(element).overflowY !== 'visible'));
  }

  function setScrollable(element, scrolls) {
    var table = element.tagName === 'DIV';
    if (scrolls) {
      element.tabIndex = 0;
      element.classList.add('ormc-scrolls');
      if (!element.hasAttribute('aria-label')) {
        if (table) element.setAttribute('role', 'group');
        element.setAttribute('aria-label', table ? 'result table, scrolls sideways' : 'code, scrolls');
      }
    } else if (element.classList.contains('ormc-scrolls')) {
      element.removeAttribute('tabindex');
      element.classList.remove('ormc-scrolls');
    }
  }

  function markAll() {
    // mdBook's own code blocks in the prose scroll in their code element. All the
    // sizes are read before anything is written, so the page is laid out once.
    var elements = [].slice.call(document.querySelectorAll('.ormc pre, .ormc-table-wrap, main pre > code'));
    var scrolls = elements.map(function (element) {
      return element.scrollWidth > element.clientWidth + 1 ||
        (element.scrollHeight > element.clientHeight + 1 && getComputedStyle(element).overflowY !== 'visible');
    });
    elements.forEach(function (element, i) { setScrollable(element, scrolls[i]); });
    document.documentElement.dataset.ormcMeasured = 'yes';
  }

  // ---- the playground: SQL of the reader's own -------------------------------

  function setUpPlayground(playground) {
    var stmt = playground.querySelector('.ormc-stmt');
    var shown = stmt.querySelector('pre.ormc-sql');
    var editor = document.createElement('div');
    editor.className = 'ormc-editor';
    var sql = sqlEditor('SQL to run on the demo database', function () { go(); });
    var area = sql.area;
    area.rows = 8;
    var load = sql.load;
    var out = document.createElement('div');
    out.className = 'ormc-run-out';
    out.setAttribute('role', 'status');
    var go = function () {
      out.classList.add('ormc-running');
      out.textContent = 'Running…';
      var started = performance.now();
      return ask({ op: 'script', sql: area.value, keep: keeping(playground) }, playground.dataset.limits)
        .then(function (answer) {
          out.classList.remove('ormc-running');
          show(out, answer);
          if (answer.status === 'ok') {
            var head = document.createElement('div');
            head.className = 'ormc-run-head';
            head.textContent = 'Ran in your browser in ' + (performance.now() - started).toFixed(1) + ' ms';
            out.insertBefore(head, out.firstChild);
          }
          out.scrollIntoView({ block: 'nearest' });
          return answer;
        });
    };
    editor.appendChild(sql.box);
    shown.replaceWith(editor);
    load(stmt.dataset.sql);
    var bar = document.createElement('div');
    bar.className = 'ormc-run-bar';
    bar.appendChild(button('Run', 'Run the SQL in the console', go));
    bar.appendChild(button('Reset', 'Reset the console to its first starter query, on a fresh database', function () {
      load(stmt.dataset.sql);
      out.textContent = '';
      if (workers.sqlite && playground._key) ask({ op: 'reset', keep: playground._key }, playground.dataset.limits);
    }));
    stmt.appendChild(bar);
    stmt.appendChild(out);
    keepToggle(playground);
    playground.querySelectorAll('.ormc-starter').forEach(function (starter) {
      starter.addEventListener('click', function () { load(starter.dataset.sql); go(); });
    });
    playground._run = go;
  }

  // ---- the database a panel shows ---------------------------------------------

  // The reader's choice, kept across pages.
  var DATABASE_KEY = 'ormc-database';
  function chosenDatabase() {
    try { return localStorage.getItem(DATABASE_KEY) || ''; } catch (e) { return ''; }
  }

  // Shows `block` on `database`: the view the page holds, or one built from the
  // data file (HTML the build rendered and escaped). Views are kept, with what the
  // reader opened or ran in them.
  function showDatabase(block, database) {
    var from = databaseOf(block);
    if (from === database || (block.dataset.dbs || '').split(' ').indexOf(database) < 0) {
      return Promise.resolve(false);
    }
    if (!block._built) block._built = from;
    if (!block._views) block._views = {};
    var current = block.querySelector(':scope > .ormc-view');
    block._views[from] = current;
    var ready = block._views[database] ? Promise.resolve(block._views[database]) :
      dataOf(block, database).then(function (data) {
        var view = document.createElement('div');
        view.className = 'ormc-view';
        view.innerHTML = data.html;
        return view;
      });
    return ready.then(function (view) {
      block._views[database] = view;
      current.replaceWith(view);
      block.dataset.db = database;
      view.querySelectorAll('.ormc-stmt[data-step][data-steps]').forEach(attach);
      block.querySelectorAll('.ormc-db-button').forEach(function (button) {
        button.setAttribute('aria-pressed', String(button.dataset.db === database));
      });
      (window.requestIdleCallback || setTimeout)(markAll);
      return true;
    }, function (error) {
      var status = block.querySelector('.ormc-db-status');
      if (status) status.textContent = 'Could not load the ' + database + ' captures: ' + (error.message || error);
      return false;
    });
  }

  // Every panel of the page follows the reader's choice.
  function chooseDatabase(database) {
    try { localStorage.setItem(DATABASE_KEY, database); } catch (e) { /* private mode */ }
    var all = [];
    document.querySelectorAll('.ormc-compare[data-dbs]').forEach(function (block) {
      all.push(showDatabase(block, database));
    });
    return Promise.all(all);
  }

  // The switch, from the databases the build listed on the panel (data-dbs).
  function setUpSwitch(block) {
    if (!block.dataset.dbs) return;
    var names = block.dataset.dbs.split(' ');
    var labels = (block.dataset.dbLabels || '').split('|');
    var group = document.createElement('div');
    group.className = 'ormc-db-switch';
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', 'Database');
    names.forEach(function (name, i) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'ormc-db-button';
      button.dataset.db = name;
      button.textContent = labels[i] || name;
      button.setAttribute('aria-pressed', String(name === databaseOf(block)));
      button.addEventListener('click', function () { chooseDatabase(name); });
      group.appendChild(button);
    });
    var status = document.createElement('span');
    status.className = 'ormc-db-status';
    status.setAttribute('role', 'status');
    group.appendChild(status);
    var bar = block.querySelector(':scope > .ormc-bar');
    bar.insertBefore(group, bar.firstChild);
  }

  // ---- start -----------------------------------------------------------------

  function init() {
    var chosen = chosenDatabase();
    document.querySelectorAll('.ormc-compare, .ormc-sqlrun').forEach(function (block) {
      keepToggle(block);
      setUpSwitch(block);
      block.querySelectorAll('.ormc-stmt[data-step][data-steps]').forEach(attach);
      if (chosen) showDatabase(block, chosen);
    });
    document.querySelectorAll('.ormc-playground').forEach(setUpPlayground);
    // 'toggle' does not bubble; listening in the capture phase sees every one.
    document.addEventListener('toggle', function (event) {
      var details = event.target;
      if (details.open && details.closest && details.closest('.ormc')) fill(details);
    }, true);
    // Measuring waits until the page is drawn and idle.
    (window.requestIdleCallback || setTimeout)(markAll);
    window.addEventListener('resize', function () {
      clearTimeout(window._ormcResize);
      window._ormcResize = setTimeout(markAll, 200);
    });
    // For the browser tests and the browser benchmark.
    window.ormc = {
      run: run, runSteps: runSteps, dataOf: dataOf, stepOf: stepOf, openEditor: openEditor,
      reset: reset, showDatabase: showDatabase, chooseDatabase: chooseDatabase,
    };
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
