// The message loop both in-page runners share (worker.js for SQLite, pg-worker.js
// for PostgreSQL): load the engine on the first request, answer each request with
// how long loading and running took, and turn any failure into an answer the page
// shows instead of a silent worker.
'use strict';

// `load(limits)` resolves to the milliseconds loading took; `answer(request)` to
// the answer: { status: 'ok', html } or { status: 'error', message, statement }.
function serveRequests(load, answer, name) {
  self.onmessage = async (event) => {
    const request = event.data;
    try {
      const loadMs = await load(request.limits);
      const started = performance.now();
      const reply = await answer(request);
      reply.engineMs = performance.now() - started;
      reply.loadMs = loadMs;
      self.postMessage({ id: request.id, answer: reply });
    } catch (error) {
      self.postMessage({
        id: request.id,
        answer: { status: 'error', message: `the in-page ${name} failed: ${error}`, statement: 0 },
      });
    }
  };
}
