// tabletop live console: one page for the facilitator and the teams (the token decides).
// No external assets; every scenario string is inserted as text, never as HTML.
'use strict';
const token = new URLSearchParams(location.search).get('token') || '';
const $ = (id) => document.getElementById(id);
let S = null;            // last state
let timelineNext = 0;    // timeline events fetched so far
const timeline = [];

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k == null ? '' : String(k)));
  return e;
}
function hours(h) {
  if (h == null) return '–';
  const d = Math.floor(h / 24), r = h - 24 * d, hh = Math.floor(r), mm = Math.round((r - hh) * 60);
  return `D${d + 1} ${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}`;
}
function showError(msg) { const e = $('error'); e.textContent = msg; e.hidden = !msg; }
async function api(method, path, body) {
  const sep = path.includes('?') ? '&' : '?';
  const r = await fetch(path + sep + 'token=' + encodeURIComponent(token), {
    method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
  });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) { showError(j.error || r.statusText); throw new Error(j.error); }
  showError('');
  return j;
}
const act = (a) => api('POST', '/api/action', a).then(refresh);
const clock = (c) => api('POST', '/api/clock', c).then(refresh);
function fill(tbody, rows) { tbody.replaceChildren(...rows); }
function options(sel, items) {
  const keep = sel.value;
  sel.replaceChildren(...items.map(([v, t]) => el('option', { value: v }, t)));
  if (items.some(([v]) => v === keep)) sel.value = keep;
}

async function refresh() {
  S = await api('GET', '/api/state');
  if (S.role === 'facilitator') picker(S.open, S.session);
  const none = S.session === false;
  $('marking').hidden = none;
  $('state').hidden = none;
  if (none) {
    $('controls').hidden = true;
    $('now').textContent = 'no scenario open';
    return;
  }
  $('controls').hidden = false;
  const tl = await api('GET', '/api/timeline?from=' + timelineNext);
  timelineNext = tl.next; timeline.push(...tl.events);
  $('exercise').textContent = S.exercise;
  $('marking').textContent = S.marking;
  const now = S.role === 'facilitator' ? S.board.now_h : S.now_h;
  const dur = S.role === 'facilitator' ? S.board.duration_h : S.duration_h;
  const done = S.role === 'facilitator' ? S.board.done : S.done;
  $('now').textContent = `${hours(now)} · ${now.toFixed(1)} / ${dur.toFixed(0)} h`;
  const st = $('state');
  st.textContent = done ? 'ended' : S.clock.running ? `running ${S.clock.speed}×` : 'paused';
  st.className = 'pill' + (S.clock.running ? ' run' : '');
  if (S.role === 'facilitator') facilitator(); else player();
}

function linkRows(links) {
  return links.slice().sort((a, b) => a.trust - b.trust).slice(0, 14).map((l) =>
    el('tr', {}, el('td', {}, l.partnership), el('td', {}, `${l.from} → ${l.to}`),
      el('td', {}, el('span', { class: 'bar', style: `width:${Math.round(60 * l.trust)}px` }), ' ', l.trust.toFixed(2)),
      el('td', {}, l.withdrawn ? el('span', { class: 'down' }, 'withdrawn') : '')));
}
function decisionBox(d, agency) {
  return el('div', { class: 'decision' },
    el('b', {}, agency), ` would decide to act on `, el('b', {}, d.threat_name), ` (since ${hours(d.since_h)}). `,
    el('button', { class: 'go', onclick: () => act({ action: 'act', agency: d.agency, threat: d.threat }) }, 'Act now'), ' ',
    el('button', { onclick: () => act({ action: 'wait', agency: d.agency, threat: d.threat }) }, 'Wait for corroboration'));
}
const TLPS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'];
// A share point: the item's partners (channel, highest TLP of the agreement, whether each may
// hold it as marked), recipients to tick and the TLP to mark it with.
function shareBox(p, agency) {
  const picks = p.partners.map((q) => {
    const box = el('input', { type: 'checkbox', value: q.agency });
    box.checked = q.may_hold;
    return el('label', { class: 'partner' }, box, ' ', el('b', {}, q.name), ` (${q.partnership}, ${q.channel || 'no channel'}, up to ${q.max_tlp}) `,
      q.may_hold ? el('span', { class: 'met' }, 'may hold it') : el('span', { class: 'risk' }, 'may not: ' + q.why_not.join(', ')));
  });
  const tlp = el('select', {}, ...TLPS.map((t) => el('option', { value: t }, 'TLP:' + t)));
  tlp.value = p.tlp;
  const send = (to) => act({ action: 'share', agency: p.agency, item: p.item, to, tlp: tlp.value });
  return el('div', { class: 'decision' },
    el('b', {}, agency), ` may share item ${p.item} on `, el('b', {}, p.threat_name),
    ` (${p.class}, TLP:${p.tlp}${p.reshare ? ', received from a partner' : ', own collection'}; analysed ${hours(p.since_h)}). Share with whom?`,
    el('div', { class: 'checks' }, ...picks),
    el('div', {}, 'Mark it ', tlp, ' ',
      el('button', { class: 'go', onclick: () => send(picks.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value)) }, 'Share'), ' ',
      el('button', { onclick: () => send([]) }, 'Keep it (share with no one)')));
}
function pointBoxes(decisions, shares, name, none) {
  const boxes = [...decisions.map((d) => decisionBox(d, name(d))), ...shares.slice(0, 6).map((p) => shareBox(p, name(p)))];
  if (shares.length > 6) boxes.push(el('p', { class: 'hint' }, `${shares.length - 6} more share point(s) after these.`));
  return boxes.length ? boxes : [el('p', { class: 'hint' }, none)];
}

// The scenario picker: shipped scenarios and an upload, validated by the server; its
// diagnostics are shown as text.
function picker(o, session) {
  if (!o || !o.available) { $('open').hidden = true; return; }
  $('open').hidden = false;
  $('open-title').textContent = session ? 'Open another scenario (a new session)' : 'Open a scenario';
  if ($('shipped').dataset.n !== String(o.shipped.length)) {
    $('shipped').dataset.n = String(o.shipped.length);
    fill($('shipped'), o.shipped.length ? o.shipped.map((n) => el('li', {},
      el('button', { class: 'small go', onclick: () => openScenario({ shipped: n }) }, 'Open'), ' ', n))
      : [el('li', { class: 'hint' }, 'No scenarios/ folder next to where the console was started.')]);
  }
  $('open').dataset.max = String(o.max_upload_bytes);
}
async function openScenario(body) {
  const seed = $('open-seed').value;
  if (seed !== '') body.seed = Number(seed);
  if (S && S.session && !confirm('Close this session and open another? Its log keeps everything.')) return;
  const r = await fetch('/api/open?token=' + encodeURIComponent(token), {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const j = await r.json().catch(() => ({ error: r.status === 413 ? 'The file is too large (2 MiB at most).' : r.statusText }));
  const box = $('open-error');
  if (!r.ok) { box.textContent = j.error || r.statusText; box.hidden = false; return; }
  box.hidden = true;
  location.reload();
}

function facilitator() {
  $('facilitator').hidden = false;
  const b = S.board, msel = Object.fromEntries(S.msel.map((m) => [m.id, m]));
  const marks = {};
  for (const e of S.log) if (e.kind === 'mark') marks[e.inject] = e.taken;
  fill($('msel').tBodies[0], b.injects.map((i) => {
    const m = msel[i.id] || {};
    const status = i.fired_at != null ? `fired ${hours(i.fired_at)}` : i.control === 'hold' ? 'HELD'
      : i.control === 'skip' ? 'skipped' : i.control === 'at' ? `due ${hours(i.at_h)}` : i.done ? 'did not fire' : 'waiting';
    const rt = el('input', { type: 'number', step: '0.5', size: '4', placeholder: 'h' });
    const ctl = i.done ? [] : [
      el('button', { class: 'small go', onclick: () => act({ action: 'release', inject: i.id }) }, 'Release'), ' ',
      i.control === 'hold' || i.control === 'skip' || i.control === 'at'
        ? el('button', { class: 'small', onclick: () => act({ action: 'resume', inject: i.id }) }, 'Resume')
        : el('button', { class: 'small', onclick: () => act({ action: 'hold', inject: i.id }) }, 'Hold'), ' ',
      el('button', { class: 'small', onclick: () => act({ action: 'skip', inject: i.id }) }, 'Skip'), ' ', rt,
      el('button', { class: 'small', onclick: () => act({ action: 'retime', inject: i.id, at_h: Number(rt.value) }) }, 'Re-time')];
    const took = m.expected_action ? [
      el('button', { class: 'small' + (marks[i.id] === true ? ' go' : ''), onclick: () => api('POST', '/api/mark', { inject: i.id, taken: true }).then(refresh) }, '✓ yes'), ' ',
      el('button', { class: 'small' + (marks[i.id] === false ? ' go' : ''), onclick: () => api('POST', '/api/mark', { inject: i.id, taken: false }).then(refresh) }, '✗ no')] : [];
    return el('tr', { class: i.done ? 'done' : '' }, el('td', {}, i.number), el('td', {}, i.id),
      el('td', {}, i.scripted_h != null ? hours(i.scripted_h) : 'triggered'), el('td', {}, status),
      el('td', {}, i.synopsis, m.expected_action ? el('div', { class: 'exp' }, 'Expected: ', m.expected_action) : ''),
      el('td', {}, ...took), el('td', {}, ...ctl));
  }));
  $('decisions').replaceChildren(...pointBoxes(b.decisions, b.shares, (d) => d.agency,
    'None open. Tick "team decides" on an agency to hand its decisions to a team.'));
  options($('team-agency'), b.agencies.map((a) => [a.id, a.name]));
  options($('cut-p'), S.partnerships.map((p) => [p, p]));
  options($('warn-t'), b.threats.map((t) => [t.id, t.name]));
  const aid = S.msel.filter((m) => m.arrival);
  options($('aid-i'), aid.map((m) => [m.id, m.id]));
  $('aid-row').hidden = !aid.length;
  const objDesc = Object.fromEntries(S.objectives.map((o) => [o.id, o]));
  fill($('objectives'), b.objectives.map((o) => el('li', {},
    el('span', { class: o.met ? 'met' : 'risk' }, o.met ? '● on track ' : '● at risk '), el('b', {}, o.id), ' ',
    (objDesc[o.id] || {}).description || '', ` (target ${(objDesc[o.id] || {}).target || ''}; now ${o.value == null ? '–' : o.value.toFixed(2)})`)));
  fill($('threats').tBodies[0], b.threats.map((t) => el('tr', {}, el('td', {}, t.name), el('td', {}, t.real ? 'yes' : 'no'),
    ...[t.detected_at, t.shared_at, t.acted_at, t.resolved_at, t.harm_at].map((x) => el('td', {}, hours(x))))));
  fill($('agencies').tBodies[0], b.agencies.map((a) => {
    const box = el('input', { type: 'checkbox', title: 'team decides when to act', onchange: (e) => act({ action: 'control', agency: a.id, on: e.target.checked }) });
    box.checked = a.team;
    const shr = el('input', { type: 'checkbox', title: 'team decides with whom to share, under which TLP', onchange: (e) => act({ action: 'sharing', agency: a.id, on: e.target.checked }) });
    shr.checked = a.team_shares;
    return el('tr', {}, el('td', {}, a.name), el('td', {}, el('span', { class: a.up ? 'up' : 'down' }, a.up ? 'up' : 'DOWN')),
      el('td', {}, a.backlog), el('td', {}, a.knows.map(([t]) => t).join(', ')), el('td', {}, a.decided.join(', ')), el('td', {}, box, ' act ', shr, ' share'));
  }));
  fill($('links').tBodies[0], linkRows(b.links));
  const checks = $('note-objs');
  if (!checks.childElementCount) checks.replaceChildren(...S.objectives.map((o) => el('label', {}, el('input', { type: 'checkbox', value: o.id }), ' ', o.id)));
  fill($('log'), S.log.slice().reverse().slice(0, 40).map((e) => el('li', {},
    e.sim_h != null ? hours(e.sim_h) + ' ' : '', el('b', {}, e.who || ''), ' ',
    e.kind === 'note' ? `note [${e.objectives.join(', ')}]: ${e.text}` : e.kind === 'mark' ? `${e.inject}: expected action ${e.taken ? 'taken' : 'NOT taken'}`
      : e.kind === 'action' ? JSON.stringify(e.action) : e.kind)));
  fill($('teams'), S.teams.map((t) => el('li', {}, t.name, ': ', el('a', { href: `/?token=${encodeURIComponent(t.token)}`, target: '_blank' }, 'player view'))));
  const f = S.forecast;
  if (f && $('forecast').dataset.tick !== String(f.tick) + '/' + f.runs) {
    $('forecast').dataset.tick = String(f.tick) + '/' + f.runs;
    $('forecast').replaceChildren(el('p', { class: 'hint' }, `Fork at ${hours(f.at_h)}, ${f.runs} continuations per candidate.`), forecastTable(f));
  }
  fill($('timeline'), timeline.slice(-40).reverse().map((e) => el('li', {}, hours(e.t), ' ', e.text)));
}

function player() {
  $('player').hidden = false;
  $('controls').hidden = true;
  $('me-name').textContent = S.me ? S.me.name : S.agency;
  fill($('knows'), S.knows.length ? S.knows.map((k) => el('li', {}, el('b', {}, k.name), ` since ${hours(k.since_h)}`, k.decided ? ' — decided to act' : ''))
    : [el('li', { class: 'hint' }, 'Nothing yet.')]);
  $('my-decisions').replaceChildren(...pointBoxes(S.decisions, S.shares, (d) => (S.me ? S.me.name : d.agency),
    'No decision is waiting for your team.'));
  fill($('my-links').tBodies[0], linkRows(S.links));
  fill($('my-injects'), S.injects.map((i) => el('li', {}, hours(i.fired_at), ' ', el('b', {}, i.from || ''), ' ', i.synopsis, i.delivery ? ` (${i.delivery})` : '')));
  fill($('my-timeline'), timeline.slice(-60).reverse().map((e) => el('li', {}, hours(e.t), ' ', e.text)));
}

function forecastTable(f) {
  // The scenario's key metrics (exercise.key_metrics), else the first four.
  let keys = f.metrics.map(([id], i) => ((S.key_metrics || []).includes(id) ? i : -1)).filter((i) => i >= 0);
  if (!keys.length) keys = f.metrics.slice(0, 4).map((_, i) => i);
  const head = el('tr', {}, el('th', {}, 'Candidate'), ...f.objectives.map((o) => el('th', {}, o)),
    ...keys.map((k) => el('th', {}, f.metrics[k][1] + ' (p10–p50–p90)')));
  const rows = f.candidates.map((c) => el('tr', {}, el('td', {}, c.label),
    ...c.share.map((s, i) => el('td', {}, el('span', { class: 'rating r-' + c.rating[i] }, c.rating[i]), ' ', s == null ? 'n/a' : Math.round(100 * s) + '%')),
    ...keys.map((k) => c.metrics[k]).map((m) => el('td', {}, m == null ? '–' : m.map((x) => x.toFixed(1)).join(' – ')))));
  return el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows));
}

function teamAct(kind) {
  const by = $('team-agency').value;
  if (kind === 'cut') return act({ action: 'cut_off', partnership: $('cut-p').value, by });
  if (kind === 'restore') return act({ action: 'restore', partnership: $('cut-p').value, by });
  if (kind === 'warn') return act({ action: 'public_warning', threat: $('warn-t').value, by });
  return act({ action: 'mutual_aid', inject: $('aid-i').value });
}

function wire() {
  document.querySelectorAll('[data-clock]').forEach((b) => b.addEventListener('click', () => clock({ op: b.dataset.clock })));
  document.querySelectorAll('[data-step]').forEach((b) => b.addEventListener('click', () => clock({ op: 'step', unit: b.dataset.step })));
  $('jump').addEventListener('change', (e) => clock({ op: 'jump', to_h: Number(e.target.value) }));
  $('speed').addEventListener('change', (e) => clock({ op: 'speed', speed: Number(e.target.value) }));
  $('do-shift').addEventListener('click', () => act({ action: 'shift', by_h: Number($('shift').value) }));
  $('do-cut').addEventListener('click', () => teamAct('cut'));
  $('do-restore').addEventListener('click', () => teamAct('restore'));
  $('do-warn').addEventListener('click', () => teamAct('warn'));
  $('do-aid').addEventListener('click', () => teamAct('aid'));
  $('do-note').addEventListener('click', () => {
    const objectives = [...$('note-objs').querySelectorAll('input:checked')].map((i) => i.value);
    api('POST', '/api/note', { objectives, text: $('note').value }).then(() => { $('note').value = ''; refresh(); });
  });
  $('do-upload').addEventListener('click', async () => {
    const f = $('upload').files[0];
    const box = $('open-error');
    if (!f) { box.textContent = 'Choose a .ron file first.'; box.hidden = false; return; }
    const max = Number($('open').dataset.max || 2097152);
    if (f.size > max) { box.textContent = `${f.name} is ${f.size} bytes; uploads are limited to ${max} bytes (2 MiB).`; box.hidden = false; return; }
    openScenario({ name: f.name, ron: await f.text() });
  });
  $('do-forecast').addEventListener('click', async () => {
    $('forecast-status').textContent = 'running…';
    const t0 = performance.now();
    try {
      await api('POST', '/api/forecast', { runs: Number($('runs').value) });
      $('forecast').dataset.tick = '';
      await refresh();
      $('forecast-status').textContent = `done in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    } catch (e) { $('forecast-status').textContent = ''; }
  });
}

if (!token) showError('Open the link printed by `tabletop serve` (it carries your session token).');
else {
  wire();
  refresh().catch(() => {});
  // `&live=0`: a still page without live updates (printing, screenshots).
  if (new URLSearchParams(location.search).get('live') !== '0') startLive();
}
function startLive() {
  const es = new EventSource('/api/events?token=' + encodeURIComponent(token));
  let pending = false;
  es.addEventListener('update', () => { if (!pending) { pending = true; setTimeout(() => { pending = false; refresh().catch(() => {}); }, 150); } });
}
