/**
 * The waiting-room display: one page of plain HTML, CSS and JavaScript, served
 * by the gateway itself (no CDN, nothing to build). Opened on a TV as
 * /display/queues?doctors=<id>,<id>#token=<display token>: the token stays in
 * the fragment, which browsers never send, so it appears in no URL a server
 * logs. For each doctor it follows GET /api/v1/queues/{id}/stream with the
 * token in the Authorization header (fetch, as EventSource cannot send one),
 * resumes with Last-Event-ID after any break, and waits as a 429 or 503 asks.
 * A newly called token is announced to screen readers (aria-live).
 */

const STYLE = `
:root { color-scheme: dark; --fg: #f5f7fa; --muted: #9aa7b5; --accent: #ffd166; --bg: #0d1b2a; --panel: #1b263b; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; justify-content: space-between; align-items: baseline; padding: 1.5vh 3vw; }
header h1 { font-size: 4vh; margin: 0; }
#clock { font-size: 3.5vh; color: var(--muted); }
main { display: grid; gap: 2vw; padding: 0 3vw 3vh; grid-template-columns: repeat(auto-fit, minmax(30vw, 1fr)); }
section.queue { background: var(--panel); border-radius: 1.5vh; padding: 2vh 2vw; }
section.queue h2 { margin: 0 0 1vh; font-size: 3.5vh; }
.serving { display: flex; gap: 2vw; flex-wrap: wrap; min-height: 16vh; align-items: center; }
.serving .now { text-align: center; }
.serving .token { font-size: 14vh; font-weight: 800; line-height: 1; color: var(--accent); }
.serving .room { font-size: 3.5vh; color: var(--fg); }
.label { text-transform: uppercase; letter-spacing: .1em; color: var(--muted); font-size: 2.2vh; }
ol.next { list-style: none; margin: 1vh 0 0; padding: 0; }
ol.next li { display: flex; justify-content: space-between; font-size: 4vh; padding: .6vh 0; border-top: 1px solid #2e3c55; }
ol.next .eta { color: var(--muted); font-size: 3vh; }
.status { color: var(--muted); font-size: 2.2vh; min-height: 2.5vh; }
.paused { color: var(--accent); font-size: 3vh; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

const SCRIPT = `
'use strict';
const params = new URLSearchParams(location.search);
const doctors = (params.get('doctors') || '').split(',').filter(Boolean);
const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
const main = document.querySelector('main');
const announcer = document.getElementById('announcer');
const title = document.querySelector('header h1');

function minutesUntil(iso) {
  if (!iso) return '';
  const m = Math.round((Date.parse(iso) - Date.now()) / 60000);
  return m <= 1 ? 'now' : '~' + m + ' min';
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function follow(doctorId) {
  const section = el('section', 'queue');
  section.dataset.doctor = doctorId;
  const heading = el('h2', '', 'Queue');
  const paused = el('div', 'paused');
  const serving = el('div', 'serving');
  const nextLabel = el('div', 'label', 'Next');
  const next = el('ol', 'next');
  const status = el('div', 'status', 'Connecting...');
  section.append(heading, el('div', 'label', 'Now serving'), serving, paused, nextLabel, next, status);
  main.append(section);

  let state = null;
  let lastEventId = '';
  let announced = new Set();

  function render() {
    if (!state) return;
    heading.textContent = state.doctorName || 'Queue';
    if (state.clinicName) { title.textContent = state.clinicName; document.title = state.clinicName; }
    const entries = [...state.entries.values()];
    const now = entries.filter((e) => e.status === 'called' || e.status === 'in_consultation')
      .sort((a, b) => Date.parse(b.calledAt || 0) - Date.parse(a.calledAt || 0));
    serving.replaceChildren(...(now.length ? now : [null]).map((e) => {
      const box = el('div', 'now');
      if (!e) { box.append(el('div', 'room', '-')); return box; }
      box.append(el('div', 'token', String(e.tokenNumber)), el('div', 'room', e.room || ''));
      box.dataset.token = String(e.tokenNumber);
      return box;
    }));
    const line = entries.filter((e) => e.position > 0).sort((a, b) => a.position - b.position).slice(0, 5);
    next.replaceChildren(...line.map((e) => {
      const li = el('li');
      li.append(el('span', 'token', String(e.tokenNumber)), el('span', 'eta', minutesUntil(e.estimatedCallAt)));
      return li;
    }));
    paused.textContent = state.pause && state.pause.paused
      ? 'Paused' + (state.pause.resumeExpectedAt ? ', back ' + minutesUntil(state.pause.resumeExpectedAt) : '') : '';
    for (const e of now) {
      const key = e.id + ':' + (e.recallCount || 0);
      if (!announced.has(key)) {
        announced.add(key);
        announcer.textContent = 'Token ' + e.tokenNumber + (e.room ? ', please go to ' + e.room : '') + '.';
      }
    }
  }

  function onEvent(type, data, id) {
    if (id) lastEventId = id;
    const body = JSON.parse(data);
    if (type === 'snapshot') {
      const first = state === null;
      state = { ...body, entries: new Map(body.entries.map((e) => [e.id, e])) };
      if (first) for (const e of body.entries) if (e.status === 'called') announced.add(e.id + ':' + (e.recallCount || 0));
    } else if (type === 'change' && state) {
      for (const e of body.entries) state.entries.set(e.id, e);
      const inLine = new Map(body.line.map((p) => [p.entryId, p]));
      for (const e of state.entries.values()) {
        const p = inLine.get(e.id);
        if (p) { e.position = p.position; e.estimatedCallAt = p.estimatedCallAt; }
        else if (e.position > 0) { e.position = 0; e.estimatedCallAt = null; }
      }
      state.pause = body.pause;
      state.seq = body.seq;
    }
    render();
  }

  async function connect() {
    let wait = 1000;
    for (;;) {
      try {
        const headers = { authorization: 'Bearer ' + token, accept: 'text/event-stream' };
        if (lastEventId) headers['last-event-id'] = lastEventId;
        const res = await fetch('/api/v1/queues/' + encodeURIComponent(doctorId) + '/stream', { headers, cache: 'no-store' });
        if (!res.ok) {
          const after = Number(res.headers.get('retry-after'));
          status.textContent = res.status === 401 || res.status === 403 ? 'This display is not authorised.' : 'Reconnecting...';
          wait = Math.max(wait, Number.isFinite(after) && after > 0 ? after * 1000 : wait);
          throw new Error('status ' + res.status);
        }
        status.textContent = '';
        wait = 1000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut;
          while ((cut = buffer.indexOf('\\n\\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let type = 'message', data = '', id = '';
            for (const line of block.split('\\n')) {
              if (line.startsWith(':')) continue;
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'event') type = val;
              else if (field === 'data') data += (data ? '\\n' : '') + val;
              else if (field === 'id') id = val;
            }
            if (data) onEvent(type, data, id);
          }
        }
        status.textContent = 'Reconnecting...';
      } catch (error) {
        if (!status.textContent) status.textContent = 'Reconnecting...';
      }
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 15000);
    }
  }
  setInterval(render, 30000);
  connect();
}

function tick() {
  document.getElementById('clock').textContent = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
tick();
setInterval(tick, 10000);
if (!token) document.querySelector('main').textContent = 'This display needs its token: open it as ...#token=<display token>.';
else doctors.forEach(follow);
`;

export const DISPLAY_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Queue</title>
<link rel="stylesheet" href="/display/display.css">
</head>
<body>
<header><h1>Queue</h1><div id="clock" aria-hidden="true"></div></header>
<main></main>
<div id="announcer" class="sr-only" aria-live="assertive" aria-atomic="true"></div>
<script src="/display/display.js"></script>
</body>
</html>
`;

export const DISPLAY_CSS = STYLE;
export const DISPLAY_JS = SCRIPT;
