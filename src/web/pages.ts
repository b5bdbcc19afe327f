/**
 * The teaching pages: `/` draws the lifecycle timeline live (server-sent events from
 * /api/v1/status/lifecycle/events); `/targets`, `/rules`, `/alerts` and `/config` show the running
 * state with the same look.
 * Everything is inline: no CDN, no build step, nothing loaded from anywhere but this server.
 */

const STYLE = `
:root { --bg:#fbfbfd; --fg:#1d2330; --muted:#6b7385; --line:#d9dce3; --wait:#f2c14e; --run:#3a86ff; --stop:#e63946; --ok:#2a9d8f; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--fg); }
header { display:flex; gap:18px; align-items:center; padding:10px 20px; background:#1d2330; color:#fff; }
header a { color:#cfd6e6; text-decoration:none; } header a.here { color:#fff; font-weight:600; }
header .brand { font-weight:700; margin-right:12px; }
main { padding:16px 20px; max-width:1240px; }
h1 { font-size:18px; margin:4px 0 12px; }
.muted { color:var(--muted); }
button { font:inherit; padding:5px 12px; border-radius:6px; border:1px solid var(--line); background:#fff; cursor:pointer; }
button:disabled { cursor:not-allowed; opacity:.55; }
.bar { display:flex; gap:10px; align-items:center; margin-bottom:12px; flex-wrap:wrap; }
#chart { width:100%; overflow-x:auto; border:1px solid var(--line); border-radius:8px; background:#fff; }
.legend span { display:inline-flex; align-items:center; gap:5px; margin-right:14px; }
.legend i { display:inline-block; width:18px; height:10px; border-radius:2px; }
#detail { margin-top:12px; min-height:90px; padding:10px 12px; border:1px solid var(--line); border-radius:8px; background:#fff; white-space:pre-wrap; font-family:ui-monospace, monospace; font-size:12.5px; }
pre.chain { background:#fff; border:1px solid var(--line); border-radius:8px; padding:10px 12px; font-size:12.5px; }
table { border-collapse:collapse; width:100%; background:#fff; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
.up { color:var(--ok); font-weight:600; } .down { color:var(--stop); font-weight:600; }
`;

/** HTML-escapes text for the pages' scripts; every script gets it. */
const ESC = `
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
`;

function layout(title: string, here: string, body: string, script = ''): string {
  const link = (href: string, text: string) => `<a href="${href}"${href === here ? ' class="here"' : ''}>${text}</a>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · miniprom</title><style>${STYLE}</style></head>
<body><header><span class="brand">miniprom</span>${link('/', 'Lifecycle')}${link('/targets', 'Targets')}${link('/rules', 'Rules')}${link('/alerts', 'Alerts')}${link('/config', 'Config')}</header>
<main>${body}</main>${script ? `<script>${ESC}${script}</script>` : ''}</body></html>`;
}

/** Why each actor's interrupt sits where it does: the tooltip text of its lane. */
const WHY: Record<string, string> = {
  'Termination handler':
    'Added first: its interrupt turns /-/ready to 503 and refuses reloads from the first moment of shutdown.',
  'Scrape discovery manager': 'Stops early: no new targets are fed to a scrape manager that is about to stop.',
  'Notify discovery manager': 'Stops early: the Alertmanager list stays as it is while the notifier drains.',
  'Rule manager': 'Stops before the scrape manager, storage and the notifier: it writes samples and produces alerts.',
  'Scrape manager':
    'Its interrupt waits until every scrape loop has stopped: storage closes right after, and must not be written to.',
  'Tracing manager': 'Flushes what it has; nothing after it produces spans that matter.',
  'Reload handler': 'Waits for a reload in progress, so a reload never runs against stopped modules.',
  'Initial configuration': 'Waits for dbOpen: applying the config starts the writers, which need open storage.',
  TSDB: 'Closes storage (flushing the WAL) only after every writer above it has stopped.',
  'WAL storage': 'Closes the agent WAL only after every writer above it has stopped.',
  'Web handler': 'Stops late: /metrics and /-/ready stay answerable while the workers shut down.',
  Notifier: 'Stops last: the alerts of the final rule evaluation are already queued, and get sent.',
};

const LIFECYCLE_SCRIPT = `
const WHY = ${JSON.stringify(WHY)};
const COLORS = { waiting: 'var(--wait)', running: 'var(--run)', stopping: 'var(--stop)' };
let data = null, selected = null;

function segments(name, events, end) {
  const out = []; let state = null, from = 0;
  for (const e of events.filter((x) => x.actor === name)) {
    const next = { 'execute started': 'running', waiting: 'waiting', running: 'running', interrupted: 'stopping', 'execute returned': null }[e.event];
    if (state) out.push({ state, from, to: e.t });
    state = next === undefined ? state : next; from = e.t;
  }
  if (state) out.push({ state, from, to: end, open: true });
  return out;
}

function draw() {
  if (!data) return;
  const { actors, events } = data;
  // The axis spans the group's life (t is ms since the process started; Node's own start-up comes first).
  const t0 = Math.min(...events.map((e) => e.t));
  const last = Math.max(...events.map((e) => e.t));
  const end = last + Math.max(5, (last - t0) * 0.06);
  const W = Math.max(760, document.getElementById('chart').clientWidth - 2), left = 190, laneH = 26, top = 44;
  const x = (t) => left + ((t - t0) / (end - t0)) * (W - left - 16);
  const H = top + actors.length * laneH + 50;
  let svg = '<svg id="timeline" width="' + W + '" height="' + H + '" xmlns="http://www.w3.org/2000/svg" font-size="12">';
  // Say where time starts: the numbers are process time, and the chart begins at the first event.
  svg += '<text x="4" y="' + (H - 18) + '" fill="#6b7385">t: ms since process start</text>';
  // Ticks: the last label ends at the chart's edge.
  for (let i = 0; i <= 5; i++) { const t = t0 + ((end - t0) / 5) * i; svg += '<line x1="' + x(t) + '" x2="' + x(t) + '" y1="' + (top - 6) + '" y2="' + (H - 30) + '" stroke="#eef0f4"/><text x="' + x(t) + '" y="' + (top - 10) + '" fill="#6b7385" text-anchor="' + (i === 5 ? 'end' : i === 0 ? 'start' : 'middle') + '">' + t.toFixed(0) + ' ms</text>'; }
  actors.forEach((a, i) => {
    const y = top + i * laneH;
    svg += '<g class="lane" data-actor="' + esc(a.name) + '"><rect x="0" y="' + y + '" width="' + W + '" height="' + laneH + '" fill="' + (selected === a.name ? '#eef3ff' : 'transparent') + '"/>';
    svg += '<text x="8" y="' + (y + 17) + '" fill="#1d2330">' + (i + 1) + '. ' + esc(a.name) + '</text>';
    for (const s of segments(a.name, events, last)) svg += '<rect class="seg ' + s.state + '" x="' + x(s.from) + '" y="' + (y + 6) + '" width="' + Math.max(2, x(s.to) - x(s.from)) + '" height="14" rx="3" fill="' + COLORS[s.state] + '"/>';
    svg += '</g>';
  });
  // Labels on two rows: the latches often open a few milliseconds apart.
  events.filter((e) => e.latch && e.event === 'opened').forEach((e, i) => {
    svg += '<g class="latch" data-latch="' + e.latch + '"><line x1="' + x(e.t) + '" x2="' + x(e.t) + '" y1="' + top + '" y2="' + (H - 30) + '" stroke="#2a9d8f" stroke-width="2" stroke-dasharray="4 3"/><text x="' + (x(e.t) + 4) + '" y="' + (H - 18 + i * 14) + '" fill="#2a9d8f">' + e.latch + ' ' + e.t.toFixed(0) + ' ms</text></g>';
  });
  // Reload markers get their own row, above the tick labels.
  events.filter((e) => e.event === 'reload finished').forEach((e, i) => {
    const ok = e.result === 'success';
    svg += '<g class="reload" data-result="' + e.result + '"><title>reload ' + (i + 1) + ': ' + e.result + (e.timingsMs ? ' ' + JSON.stringify(e.timingsMs) : '') + (e.error ? ' ' + esc(e.error) : '') + '</title><circle cx="' + x(e.t) + '" cy="' + 12 + '" r="6" fill="' + (ok ? '#2a9d8f' : '#e63946') + '"/></g>';
  });
  svg += '</svg>';
  document.getElementById('chart').innerHTML = svg;
  for (const g of document.querySelectorAll('g.lane')) g.addEventListener('mouseenter', () => { selected = g.dataset.actor; detail(); draw(); });
  document.getElementById('chain').textContent = data.chains || '';
  document.getElementById('state').textContent = data.readiness + (data.readiness === 'Ready' ? '' : '…');
}

// The actor's timeline events and the lines its loggers wrote, in time order.
function detail() {
  if (!selected || !data) return;
  const events = data.events.filter((e) => e.actor === selected).map((e) => ({ t: e.t, text: e.event + (e.latch ? ' (' + e.latch + ')' : '') + (e.error ? ' — ' + e.error : '') }));
  const log = (data.logs || {})[selected] || { lines: [], omitted: 0 };
  const lines = log.lines.map((l) => ({ t: l.t, text: l.level.padEnd(5) + ' ' + l.msg }));
  const rows = events.concat(lines).sort((a, b) => a.t - b.t).map((r) => r.t.toFixed(1).padStart(8) + ' ms  ' + r.text);
  if (log.omitted > 0) rows.push('(' + log.omitted + ' earlier log lines not kept)');
  document.getElementById('detail').textContent = selected + '\\n' + (WHY[selected] || '') + '\\n\\n' + rows.join('\\n');
}

// Server-sent events: a snapshot on connect and after every lifecycle event. The server ends the
// stream when it stops; the last snapshot stays drawn. Any other break is retried by EventSource.
function follow() {
  const events = new EventSource('/api/v1/status/lifecycle/events');
  events.onmessage = (e) => { data = JSON.parse(e.data); draw(); detail(); };
  events.onerror = () => {
    const stopping = data && data.readiness === 'Stopping';
    if (stopping) events.close();
    document.getElementById('state').textContent = stopping ? 'stopped (server gone)' : 'disconnected, retrying…';
  };
}

async function post(path, btn) {
  btn.disabled = true;
  try { const r = await fetch(path, { method: 'POST' }); document.getElementById('result').textContent = r.status + ' ' + (await r.text()); }
  catch (e) { document.getElementById('result').textContent = String(e); }
  btn.disabled = false;
}
document.getElementById('reload').addEventListener('click', (e) => post('/-/reload', e.target));
document.getElementById('quit').addEventListener('click', (e) => post('/-/quit', e.target));
window.addEventListener('resize', draw);
follow();
`;

export function lifecyclePage(opts: { lifecycleEnabled: boolean }): string {
  const disabled = opts.lifecycleEnabled
    ? ''
    : ' disabled title="Start miniprom with --web.enable-lifecycle to use this"';
  const reason = opts.lifecycleEnabled
    ? ''
    : '<span class="muted">Reload and quit are disabled: start with <code>--web.enable-lifecycle</code>.</span>';
  const body = `<h1>Lifecycle <span class="muted" id="state"></span></h1>
<div class="bar"><button id="reload"${disabled}>Reload config</button><button id="quit"${disabled}>Quit</button>${reason}<span id="result" class="muted"></span></div>
<div class="legend bar"><span><i style="background:var(--wait)"></i>waiting on a latch</span><span><i style="background:var(--run)"></i>running</span><span><i style="background:var(--stop)"></i>interrupted → returned</span><span><i style="background:#2a9d8f;height:2px"></i>latch opened</span><span>● reload (green ok, red failed)</span></div>
<div id="chart"></div>
<p class="muted">Lanes are in <b>add order</b>, which is the order actors <b>stop</b>; the latches decide when each <b>starts</b> working. Hover a lane for its events, its log lines and why its interrupt sits where it does.</p>
<div id="detail">Hover an actor.</div>
<h1>Critical chains</h1><pre class="chain" id="chain"></pre>`;
  return layout('Lifecycle', '/', body, LIFECYCLE_SCRIPT);
}

const TARGETS_SCRIPT = `
fetch('/api/v1/targets').then((r) => r.json()).then(({ data }) => {
  const rows = data.activeTargets.map((t) => '<tr><td>' + esc(t.scrapePool) + '</td><td>' + esc(t.scrapeUrl) + '</td><td class="' + t.health + '">' + t.health + '</td><td>' + esc(Object.entries(t.labels).map(([k, v]) => k + '="' + v + '"').join(', ')) + '</td><td>' + esc(t.lastScrape) + '</td><td>' + esc(t.lastError) + '</td></tr>');
  document.getElementById('targets').innerHTML = rows.join('') || '<tr><td colspan="6" class="muted">No targets.</td></tr>';
  document.getElementById('dropped').textContent = data.droppedTargets.length + ' dropped by relabeling';
});
`;

export function targetsPage(): string {
  return layout(
    'Targets',
    '/targets',
    `<h1>Targets <span class="muted" id="dropped"></span></h1><table><thead><tr><th>Pool</th><th>Endpoint</th><th>State</th><th>Labels</th><th>Last scrape</th><th>Error</th></tr></thead><tbody id="targets"></tbody></table>`,
    TARGETS_SCRIPT,
  );
}

/** A rule's labels (or annotations) as `name="value"` pairs. */
const PAIRS = `const pairs = (o) => Object.entries(o || {}).map(([k, v]) => k + '="' + v + '"').join(', ');`;

/** A time as the pages show it: the local time of day, or "never" for Go's zero time. */
const WHEN = `const when = (t) => !t || t.startsWith('0001-') ? 'never' : new Date(t).toLocaleTimeString();`;

/** Reloads `show` from the API every 5s, so a page follows the rule manager's evaluations. */
const LIVE = (url: string, show: string) => `
const refresh = () => fetch(${JSON.stringify(url)}).then((r) => r.json()).then(({ data }) => ${show}(data));
refresh();
setInterval(refresh, 5000);
`;

const RULES_SCRIPT = `${PAIRS}${WHEN}
const health = (r) => '<span class="' + (r.health === 'ok' ? 'up' : r.health === 'err' ? 'down' : 'muted') + '">' + esc(r.health) + '</span>' + (r.lastError ? '<div class="down">' + esc(r.lastError) + '</div>' : '');
const showRules = (data) => {
  const html = data.groups.map((g) => '<h1>' + esc(g.name) + ' <span class="muted">' + esc(g.file) + ' · every ' + g.interval + 's · last evaluated ' + when(g.lastEvaluation) + ' in ' + (g.evaluationTime * 1000).toFixed(1) + 'ms</span></h1><table><thead><tr><th>Rule</th><th>Expression</th><th>Labels</th><th>Health</th><th>Last evaluation</th></tr></thead><tbody>'
    + g.rules.map((r) => '<tr class="rule"><td>' + (r.type === 'alerting' ? 'alert: ' : 'record: ') + esc(r.name) + '</td><td><code>' + esc(r.query) + '</code></td><td>' + esc(pairs(r.labels)) + '</td><td class="health">' + health(r) + '</td><td class="muted">' + when(r.lastEvaluation) + '</td></tr>').join('')
    + '</tbody></table>');
  document.getElementById('groups').innerHTML = html.join('') || '<p class="muted">No rule groups: the configuration names no rule files (or the agent runs, which has no rules).</p>';
};
${LIVE('/api/v1/rules', 'showRules')}`;

export function rulesPage(): string {
  return layout(
    'Rules',
    '/rules',
    '<h1>Rules</h1><p class="muted">Every group, evaluated at its interval (updated every 5s).</p><div id="groups"></div>',
    RULES_SCRIPT,
  );
}

const ALERTS_SCRIPT = `${PAIRS}${WHEN}
const STATE = { firing: 'down', pending: 'muted', inactive: 'up' };
const showAlerts = (data) => {
  const rows = data.groups.flatMap((g) => g.rules.filter((r) => r.type === 'alerting').flatMap((r) => [
    '<tr class="alert"><td>' + esc(r.name) + '</td><td class="muted">' + esc(g.name) + '</td><td><code>' + esc(r.query) + '</code></td><td>' + r.duration + 's</td><td>' + esc(pairs(r.labels)) + '</td><td class="state ' + STATE[r.state] + '">' + esc(r.state) + ' (' + r.alerts.length + ')</td></tr>',
    ...r.alerts.map((a) => '<tr class="instance"><td></td><td colspan="4"><div>' + esc(pairs(a.labels)) + '</div><div class="muted">' + Object.entries(a.annotations).map(([k, v]) => '<b>' + esc(k) + '</b>: ' + esc(v)).join('<br>') + '</div></td><td><span class="' + STATE[a.state] + '">' + esc(a.state) + '</span><div class="muted">since ' + when(a.activeAt) + ', value ' + esc(a.value) + '</div></td></tr>'),
  ]));
  document.getElementById('alerts').innerHTML = rows.join('') || '<tr><td colspan="6" class="muted">No alerting rules.</td></tr>';
};
${LIVE('/api/v1/rules?type=alert', 'showAlerts')}`;

export function alertsPage(): string {
  return layout(
    'Alerts',
    '/alerts',
    '<h1>Alerts</h1><p class="muted">Each alerting rule and its active alerts, with their rendered annotations (updated every 5s).</p><table><thead><tr><th>Alert</th><th>Group</th><th>Expression</th><th>For</th><th>Labels</th><th>State</th></tr></thead><tbody id="alerts"></tbody></table>',
    ALERTS_SCRIPT,
  );
}

export function configPage(): string {
  return layout(
    'Config',
    '/config',
    `<h1>Configuration</h1><pre class="chain" id="yaml"></pre>`,
    `fetch('/api/v1/status/config').then((r) => r.json()).then(({ data }) => { document.getElementById('yaml').textContent = data.yaml; });`,
  );
}
