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
