// The decision guide (src/decision-guide.md), walked one question at a time.
//
// The chapter holds the whole guide as prose, marked with data attributes:
//
//   .dg-guide                                  the guide
//     .dg-question[data-dg-question=ID]        a question: a heading, an introduction
//       .dg-answer[data-dg-answer=ID]          an answer: a bold label, then its reasons,
//         [data-dg-side=django|sqlalchemy|either]   with links to the evidence
//         [data-dg-weight=N]
//         .dg-note                             something to keep in mind either way
//
// Without JavaScript that is a page to read. This script turns it into a stepper
// with radio buttons and adds the answers up: each answer gives its weight in
// points to its side, or nothing ("either"); the side with more points is
// recommended, one point ahead is a lean, equal points are a tie. The answers
// are kept in sessionStorage, so following an evidence link and coming back
// finds them again. The script runs on every page and does nothing where there
// is no guide (and on the print page, which keeps the prose).
(function () {
  'use strict';

  var SIDES = ['django', 'sqlalchemy'];
  var NAMES = { django: 'the Django ORM', sqlalchemy: 'SQLAlchemy' };
  var TITLES = { django: 'The Django ORM', sqlalchemy: 'SQLAlchemy' };
  var SHORT = { django: 'Django ORM', sqlalchemy: 'SQLAlchemy' };
  var STORE = 'ormc-decision-guide';
  var WEIGHS_ANCHOR = '#how-the-guide-weighs-your-answers';

  function toArray(list) {
    return Array.prototype.slice.call(list);
  }

  // el('p', { class: 'x' }, ['text', node]): attributes and children; text is
  // always inserted as text.
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function button(text, onClick, className) {
    var node = el('button', { type: 'button', class: 'dg-btn' + (className ? ' ' + className : '') }, [text]);
    node.addEventListener('click', onClick);
    return node;
  }

  function points(n) {
    return n === 1 ? '1 point' : n + ' points';
  }

  function other(side) {
    return side === 'django' ? 'sqlalchemy' : 'django';
  }

  // ---- The model: questions and answers read from the page -----------------

  function readGuide(root) {
    return toArray(root.querySelectorAll('.dg-question')).map(function (node, index) {
      var heading = node.querySelector('h2, h3');
      return {
        id: node.getAttribute('data-dg-question'),
        index: index,
        node: node,
        heading: heading,
        title: heading ? heading.textContent.trim() : 'Question ' + (index + 1),
        answers: toArray(node.querySelectorAll('.dg-answer')).map(function (answer) {
          var label = answer.querySelector('strong');
          var side = answer.getAttribute('data-dg-side');
          var weight = parseInt(answer.getAttribute('data-dg-weight'), 10) || 0;
          return {
            id: answer.getAttribute('data-dg-answer'),
            node: answer,
            side: SIDES.indexOf(side) >= 0 && weight > 0 ? side : 'either',
            weight: weight,
            label: label ? label.textContent.trim().replace(/[.:]$/, '') : answer.getAttribute('data-dg-answer'),
          };
        }),
      };
    });
  }

  function answerOf(question, answerId) {
    for (var i = 0; i < question.answers.length; i++) {
      if (question.answers[i].id === answerId) return question.answers[i];
    }
    return null;
  }

  // The weighing the chapter explains: points per side, the reasons behind
  // them (strongest first), the neutral answers and the skipped questions.
  function tally(questions, chosen) {
    var result = {
      points: { django: 0, sqlalchemy: 0 },
      reasons: { django: [], sqlalchemy: [], either: [] },
      notes: [],
      skipped: [],
    };
    questions.forEach(function (question) {
      var answer = answerOf(question, chosen[question.id]);
      if (!answer) {
        result.skipped.push(question);
        return;
      }
      if (answer.side !== 'either') result.points[answer.side] += answer.weight;
      result.reasons[answer.side].push({ question: question, answer: answer });
      toArray(answer.node.querySelectorAll('.dg-note')).forEach(function (note) {
        result.notes.push({ question: question, answer: answer, node: note });
      });
    });
    SIDES.forEach(function (side) {
      result.reasons[side].sort(function (a, b) {
        return b.answer.weight - a.answer.weight || a.question.index - b.question.index;
      });
    });
    return result;
  }

  function verdict(score) {
    var django = score.django;
    var sqlalchemy = score.sqlalchemy;
    if (django === 0 && sqlalchemy === 0) return { kind: 'none' };
    if (django === sqlalchemy) return { kind: 'tie' };
    var winner = django > sqlalchemy ? 'django' : 'sqlalchemy';
    return { kind: Math.abs(django - sqlalchemy) === 1 ? 'lean' : 'clear', winner: winner };
  }

  // ---- Copies of the prose, for the result panel ----------------------------

  function stripIds(node) {
    if (node.removeAttribute) node.removeAttribute('id');
    toArray(node.querySelectorAll ? node.querySelectorAll('[id]') : []).forEach(function (n) {
      n.removeAttribute('id');
    });
    return node;
  }

  // The children of `source` without its notes, its label (the first <strong>)
  // and its points badge: what the answer says, links included.
  function copyBody(source) {
    var holder = el('div', { class: 'dg-copy' });
    toArray(source.children).forEach(function (child) {
      if (child.classList.contains('dg-note')) return;
      holder.appendChild(stripIds(child.cloneNode(true)));
    });
    var lead = holder.querySelector('strong');
    if (lead) {
      lead.parentNode.removeChild(lead);
      capitalize(holder);
    }
    toArray(holder.querySelectorAll('.dg-points')).forEach(function (badge) {
      badge.parentNode.removeChild(badge);
    });
    return holder;
  }

  // What follows a removed label may start in lower case ("Keep in mind: with
  // FastAPI..."): the first letter of the first words becomes a capital.
  function capitalize(holder) {
    var walker = document.createTreeWalker(holder, NodeFilter.SHOW_TEXT);
    for (var text = walker.nextNode(); text; text = walker.nextNode()) {
      var at = text.data.search(/\S/);
      if (at < 0) continue;
      if (!text.parentNode.closest('code')) {
        text.data = text.data.slice(0, at) + text.data.charAt(at).toUpperCase() + text.data.slice(at + 1);
      }
      return;
    }
  }

  // ---- The stepper ------------------------------------------------------------

  function loadState(questions) {
    var saved = {};
    try {
      saved = JSON.parse(window.sessionStorage.getItem(STORE)) || {};
    } catch (e) {
      saved = {};
    }
    var answers = {};
    questions.forEach(function (question) {
      var id = saved.answers && saved.answers[question.id];
      if (answerOf(question, id)) answers[question.id] = id;
    });
    var step = saved.step;
    if (typeof step !== 'number' || step < 0 || step > questions.length) step = 0;
    return { answers: answers, step: step, mode: saved.mode === 'all' ? 'all' : 'step' };
  }

  function saveState(state) {
    try {
      window.sessionStorage.setItem(STORE, JSON.stringify(state));
    } catch (e) {
      // Storage may be off; the guide still works for this visit.
    }
  }

  function Guide(root) {
    this.root = root;
    this.questions = readGuide(root);
    this.state = loadState(this.questions);
    this.build();
  }

  Guide.prototype.build = function () {
    var self = this;
    var root = this.root;
    root.classList.add('dg-on');

    this.progressText = el('p', { class: 'dg-progress-text' });
    this.progressBar = el('span');
    this.modeButton = button('', function () {
      self.setMode(self.state.mode === 'all' ? 'step' : 'all');
    }, 'dg-mode');
    var toolbar = el('div', { class: 'dg-toolbar' }, [
      this.progressText,
      this.modeButton,
      el('div', { class: 'dg-progress-bar', 'aria-hidden': 'true' }, [this.progressBar]),
    ]);
    root.insertBefore(toolbar, root.firstChild);

    this.questions.forEach(function (question) {
      self.buildChoices(question);
    });

    this.backButton = button('Back', function () {
      self.go(self.state.step - 1);
    });
    this.nextButton = button('Next', function () {
      self.go(self.state.step + 1);
    }, 'dg-primary');
    this.nav = el('div', { class: 'dg-nav' }, [
      this.backButton,
      this.nextButton,
      this.restartButton(),
    ]);
    root.appendChild(this.nav);

    this.verdictEyebrow = el('p', { class: 'dg-eyebrow' });
    this.verdictTitle = el('h2', { id: 'dg-result-title', tabindex: '-1' });
    this.verdictSummary = el('p', { class: 'dg-summary' });
    this.verdictBox = el('div', { class: 'dg-verdict', role: 'status', 'aria-live': 'polite' }, [
      this.verdictEyebrow,
      this.verdictTitle,
      this.verdictSummary,
    ]);
    this.resultBody = el('div', { class: 'dg-result-body' });
    this.changeButton = button('Change my answers', function () {
      self.go(self.questions.length - 1);
    });
    this.result = el('section', { class: 'dg-result', 'aria-labelledby': 'dg-result-title' }, [
      this.verdictBox,
      this.resultBody,
      el('div', { class: 'dg-nav dg-result-actions' }, [this.changeButton, this.restartButton()]),
    ]);
    root.appendChild(this.result);

    window.addEventListener('hashchange', function () {
      self.followHash(true);
    });
    // mdBook's sidebar marks the heading being read as it scrolls; a hidden
    // question would win that contest, so this runs after it and corrects it.
    document.addEventListener('scroll', function () {
      self.markSidebar();
    }, { passive: true });
    document.addEventListener('DOMContentLoaded', function () {
      self.markSidebar();
    });
    if (!this.followHash(false)) this.render();
  };

  Guide.prototype.markSidebar = function () {
    var marked = document.querySelector('.header-in-summary.current-header');
    var id = marked && marked.getAttribute('href').slice(1);
    var target = id && document.getElementById(decodeURIComponent(id));
    var question = target && target.closest('.dg-question');
    if (!question || !question.hidden) return;
    marked.classList.remove('current-header');
    var shown = this.questions[this.state.step];
    var link = shown && shown.heading && document.querySelector(
      '.header-in-summary[href="#' + shown.heading.id + '"]');
    if (link) link.classList.add('current-header');
  };

  Guide.prototype.restartButton = function () {
    var self = this;
    return button('Start over', function () {
      self.restart();
    }, 'dg-restart');
  };

  Guide.prototype.buildChoices = function (question) {
    var self = this;
    // The heading shows the question; the legend names the group of radio
    // buttons for screen readers.
    var fieldset = el('fieldset', { class: 'dg-choices' }, [
      el('legend', { class: 'dg-sr' }, [question.title]),
    ]);
    question.inputs = {};
    question.answers.forEach(function (answer) {
      var id = 'dg-' + question.id + '-' + answer.id;
      var input = el('input', { type: 'radio', name: 'dg-' + question.id, id: id, value: answer.id });
      input.addEventListener('change', function () {
        if (input.checked) self.choose(question, answer);
      });
      question.inputs[answer.id] = input;
      fieldset.appendChild(el('div', { class: 'dg-choice' }, [
        input,
        el('label', { for: id }, [answer.label]),
      ]));
    });
    var first = question.answers.length ? question.answers[0].node : null;
    question.node.insertBefore(fieldset, first);
    if (question.heading) question.heading.setAttribute('tabindex', '-1');
  };

  Guide.prototype.choose = function (question, answer) {
    this.state.answers[question.id] = answer.id;
    saveState(this.state);
    this.render();
  };

  Guide.prototype.setMode = function (mode) {
    this.state.mode = mode;
    if (mode === 'step' && this.state.step > this.questions.length) this.state.step = 0;
    saveState(this.state);
    this.render();
    this.modeButton.focus();
  };

  Guide.prototype.restart = function () {
    this.state.answers = {};
    this.state.step = 0;
    saveState(this.state);
    this.render();
    this.focus(this.questions[0].heading, this.root);
  };

  // Steps 0..n-1 are the questions, step n is the recommendation.
  Guide.prototype.go = function (step) {
    var last = this.questions.length;
    this.state.step = Math.max(0, Math.min(last, step));
    saveState(this.state);
    this.render();
    if (this.state.step === last) this.focus(this.verdictTitle, this.result);
    else this.focus(this.questions[this.state.step].heading, this.root);
  };

  // Moves the keyboard focus, and scrolls so that `frame` (the guide, or the
  // recommendation panel) starts at the top of the window.
  Guide.prototype.focus = function (node, frame) {
    if (!node) return;
    node.focus({ preventScroll: true });
    (frame || node).scrollIntoView({ block: 'start' });
  };

  // A link to a question's heading (the sidebar lists them) opens that step.
  Guide.prototype.followHash = function (focus) {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    var question = target && target.closest && target.closest('.dg-question');
    if (!question || !this.root.contains(question)) return false;
    var index = this.questions.map(function (q) { return q.node; }).indexOf(question);
    if (this.state.mode === 'step') {
      this.state.step = index;
      saveState(this.state);
    }
    this.render();
    if (focus) this.focus(this.questions[index].heading);
    else target.scrollIntoView({ block: 'start' });
    return true;
  };

  Guide.prototype.render = function () {
    var state = this.state;
    var count = this.questions.length;
    var all = state.mode === 'all';
    var atResult = !all && state.step >= count;

    this.root.classList.toggle('dg-all', all);
    this.questions.forEach(function (question, index) {
      question.node.hidden = !all && index !== state.step;
      question.answers.forEach(function (answer) {
        var chosen = state.answers[question.id] === answer.id;
        answer.node.classList.toggle('dg-chosen', chosen);
        question.inputs[answer.id].checked = chosen;
      });
    });

    var answered = this.questions.filter(function (q) { return state.answers[q.id]; }).length;
    if (all) this.progressText.textContent = answered + ' of ' + count + ' questions answered';
    else if (atResult) this.progressText.textContent = 'Your recommendation, from ' + answered + ' of ' + count + ' answers';
    else this.progressText.textContent = 'Question ' + (state.step + 1) + ' of ' + count;
    var done = all ? answered / count : Math.min(state.step, count) / count;
    this.progressBar.style.width = Math.round(done * 100) + '%';
    this.modeButton.textContent = all ? 'One question at a time' : 'Show all questions at once';

    // With every question on screen, the recommendation below them has the
    // only buttons needed.
    this.nav.hidden = all || atResult;
    this.backButton.hidden = state.step === 0;
    if (!all && !atResult) {
      var current = this.questions[state.step];
      var isLast = state.step === count - 1;
      this.nextButton.textContent = isLast ? 'See the recommendation'
        : state.answers[current.id] ? 'Next question' : 'Skip this question';
    }
    this.changeButton.hidden = all;
    this.result.hidden = !(all || atResult);
    if (!this.result.hidden) this.renderResult();
    this.markSidebar();
  };

  // ---- The recommendation -----------------------------------------------------

  Guide.prototype.renderResult = function () {
    var score = tally(this.questions, this.state.answers);
    var decision = verdict(score.points);
    var p = score.points;
    var eyebrow;
    var title;
    var summary;
    if (decision.kind === 'clear') {
      var w = decision.winner;
      eyebrow = 'Recommendation';
      title = TITLES[w];
      summary = TITLES[w] + ' scores ' + points(p[w]) + ', ' + NAMES[other(w)] + ' ' + points(p[other(w)]) +
        '. The reasons are below, strongest first, each with the chapter that shows it.';
    } else if (decision.kind === 'lean') {
      var lead = decision.winner;
      eyebrow = 'A slight lean';
      title = 'Leaning towards ' + NAMES[lead];
      summary = TITLES[lead] + ' is one point ahead, ' + p[lead] + ' to ' + p[other(lead)] +
        ': an edge, not a verdict. Read the reasons on both sides; the one that matters most to your project should decide.';
    } else if (decision.kind === 'tie') {
      eyebrow = 'A tie';
      title = 'No winner: ' + points(p.django) + ' each';
      summary = 'Your answers point both ways with equal weight, so the guide does not pick for you. ' +
        'Let the reason that matters most to your project decide. In a Django project that usually means ' +
        'the Django ORM, with SQLAlchemy Core or raw SQL beside it for the queries that need more.';
    } else {
      eyebrow = 'No recommendation yet';
      title = 'Both fit';
      summary = score.skipped.length === this.questions.length
        ? 'You have not answered any question yet.'
        : 'None of your answers favours either library: on what you told the guide, both do the job. ' +
          'Answer the questions you skipped, or see below why these answers do not decide it.';
    }
    this.verdictBox.className = 'dg-verdict dg-verdict-' + decision.kind +
      (decision.winner ? ' dg-side-' + decision.winner : '');
    this.verdictEyebrow.textContent = eyebrow;
    this.verdictTitle.textContent = title;
    this.verdictSummary.textContent = summary;

    var body = this.resultBody;
    while (body.firstChild) body.removeChild(body.firstChild);
    body.appendChild(this.scoreBars(p));

    var first = decision.winner || 'django';
    [first, other(first)].forEach(function (side) {
      var reasons = score.reasons[side];
      if (!reasons.length) return;
      var heading = (side === decision.winner ? 'Why ' : 'What speaks for ') + NAMES[side];
      body.appendChild(el('h3', {}, [heading]));
      body.appendChild(el('ul', { class: 'dg-reasons dg-side-' + side }, reasons.map(reasonItem)));
    });

    if (score.notes.length) {
      body.appendChild(el('h3', {}, ['Keep in mind']));
      body.appendChild(el('ul', { class: 'dg-reasons dg-notes' }, score.notes.map(noteItem)));
    }

    if (score.reasons.either.length) {
      var neutral = score.reasons.either;
      var summaryText = 'What does not decide it (' + neutral.length + (neutral.length === 1 ? ' answer)' : ' answers)');
      var details = el('details', { class: 'dg-neutral' }, [el('summary', {}, [summaryText])]);
      details.appendChild(el('ul', { class: 'dg-reasons' }, neutral.map(reasonItem)));
      if (decision.kind === 'none') details.open = true;
      body.appendChild(details);
    }

    body.appendChild(el('h3', {}, ['Your answers']));
    body.appendChild(this.answerList());
    var how = el('a', { href: WEIGHS_ANCHOR }, ['how the guide weighs your answers']);
    body.appendChild(el('p', { class: 'dg-how' }, ['The points follow a few plain rules: see ', how, '.']));
  };

  Guide.prototype.scoreBars = function (score) {
    var top = Math.max(score.django, score.sqlalchemy, 1);
    return el('ul', { class: 'dg-score' }, SIDES.map(function (side) {
      var fill = el('span', { class: 'dg-bar-fill' });
      fill.style.width = Math.round((score[side] / top) * 100) + '%';
      return el('li', { class: 'dg-side-' + side }, [
        el('span', { class: 'dg-score-name' }, [SHORT[side]]),
        el('span', { class: 'dg-bar', 'aria-hidden': 'true' }, [fill]),
        el('span', { class: 'dg-score-points' }, [points(score[side])]),
      ]);
    }));
  };

  Guide.prototype.answerList = function () {
    var self = this;
    return el('ol', { class: 'dg-answers' }, this.questions.map(function (question) {
      var answer = answerOf(question, self.state.answers[question.id]);
      var change = button(answer ? 'Change' : 'Answer', function () {
        if (self.state.mode === 'all') self.focus(question.heading);
        else self.go(question.index);
      }, 'dg-small');
      change.setAttribute('aria-label', (answer ? 'Change the answer to ' : 'Answer ') + question.title);
      return el('li', {}, [
        el('span', { class: 'dg-answers-q' }, [question.title.replace(/^\d+\.\s*/, '')]),
        el('span', { class: 'dg-answers-a' + (answer ? '' : ' dg-skipped') }, [answer ? answer.label : 'skipped']),
        change,
      ]);
    }));
  };

  function reasonItem(entry) {
    var answer = entry.answer;
    var pill = answer.side === 'either' ? 'no points' : points(answer.weight);
    return el('li', { class: 'dg-reason dg-side-' + answer.side }, [
      el('p', { class: 'dg-reason-q' }, [entry.question.title]),
      el('p', { class: 'dg-reason-a' }, [
        el('span', {}, [answer.label]),
        ' ',
        el('span', { class: 'dg-pill' }, [pill]),
      ]),
      copyBody(answer.node),
    ]);
  }

  function noteItem(entry) {
    return el('li', { class: 'dg-reason dg-note-item' }, [
      el('p', { class: 'dg-reason-q' }, [entry.answer.label]),
      copyBody(entry.node),
    ]);
  }

  // ---- Start ----------------------------------------------------------------

  function start() {
    if (/(^|\/)print\.html$/.test(window.location.pathname)) return;
    toArray(document.querySelectorAll('.dg-guide')).forEach(function (root) {
      if (root.getAttribute('data-dg-ready')) return;
      root.setAttribute('data-dg-ready', '1');
      if (root.querySelector('.dg-question')) new Guide(root);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
