// tcpinspect dashboard: polls the daemon's REST API once a second and
// draws the charts on <canvas> (no libraries, nothing fetched from
// elsewhere). window.tiDashboard exposes the state for tests.
'use strict';

const HISTORY_S = 120;
const COLORS = ['#4fc3f7', '#ffb74d'];
const state = { updates: 0, errors: 0, history: [], lastUpdate: null };
window.tiDashboard = state;

const $ = (id) => document.getElementById(id);

function fmt(n, digits) {
  if (n === undefined || n === null || Number.isNaN(n)) return '–';
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (Math.abs(n) >= 1e4) return (n / 1e3).toFixed(1) + 'k';
  return n.toFixed(digits === undefined ? (Number.isInteger(n) ? 0 : 1) : digits);
}

function text(el, s) { el.textContent = s; }

// Grid labels with as many digits as the scale needs (0.0025, 12, 3.5k).
function axisLabel(v) {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1e4) return fmt(v);
  return String(+v.toPrecision(2));
}

// Seconds to a readable duration: microseconds below a millisecond.
function dur(s) {
  if (!s) return '–';
  if (s < 1e-3) return (s * 1e6).toFixed(0) + ' µs';
  if (s < 1) return (s * 1e3).toFixed(2) + ' ms';
  return s.toFixed(2) + ' s';
}

async function getJSON(path) {
  const r = await fetch(path, { cache: 'no-store' });
  const body = await r.json();
  if (!r.ok) throw Object.assign(new Error(body.message || r.statusText), { status: r.status });
  return body;
}

// A line chart of one or two series over the history (oldest first).
function drawChart(canvas, rows, keys) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== w * dpr || canvas.height !== h * dpr) {
    canvas.width = w * dpr;
    canvas.height = h * dpr;
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const padL = 44, padB = 18, padT = 6, padR = 8;
  const series = keys.map((k) => rows.map((r) => r[k] || 0));
  let max = Math.max(0, ...series.flat());
  if (max <= 0) max = 1; // nothing yet: an empty chart on a 0-1 scale
  // A round upper bound so the grid lines read well.
  const mag = Math.pow(10, Math.floor(Math.log10(max)));
  max = Math.ceil(max / mag) * mag;
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#8b98a5';
  ctx.strokeStyle = '#2a3541';
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = padT + (h - padT - padB) * (1 - i / 4);
    ctx.beginPath();
    ctx.moveTo(padL, y);
    ctx.lineTo(w - padR, y);
    ctx.stroke();
    ctx.fillText(axisLabel(max * i / 4), 2, y + 4);
  }
  ctx.fillText(`-${HISTORY_S}s`, padL, h - 4);
  ctx.fillText('now', w - padR - 22, h - 4);
  const n = HISTORY_S;
  const x = (i) => padL + (w - padL - padR) * (i + (n - rows.length)) / (n - 1);
  const y = (v) => padT + (h - padT - padB) * (1 - v / max);
  series.forEach((vals, s) => {
    if (!vals.length) return;
    ctx.strokeStyle = COLORS[s];
    ctx.lineWidth = 2;
    ctx.beginPath();
    vals.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
    ctx.stroke();
    if (s === 0) {
      ctx.globalAlpha = 0.12;
      ctx.fillStyle = COLORS[s];
      ctx.lineTo(x(vals.length - 1), y(0));
      ctx.lineTo(x(0), y(0));
      ctx.fill();
      ctx.globalAlpha = 1;
    }
  });
  // What a test (or a curious person with devtools) can read back.
  canvas.dataset.points = String(rows.length);
  canvas.dataset.sum = String(series[0].reduce((a, b) => a + b, 0));
  canvas.dataset.last = String(series[0].length ? series[0][series[0].length - 1] : 0);
  canvas.dataset.max = String(max);
}

function drawBars(el, items, label, value) {
  const max = Math.max(1, ...items.map(value));
  el.replaceChildren();
  if (!items.length) {
    const p = document.createElement('div');
    p.className = 'muted';
    p.textContent = 'no SYNs yet';
    el.append(p);
  }
  for (const it of items) {
    const row = document.createElement('div');
    row.className = 'row';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = label(it);
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.style.width = (100 * value(it) / max).toFixed(1) + '%';
    const n = document.createElement('span');
    n.className = 'n';
    n.textContent = fmt(value(it));
    row.append(name, bar, n);
    el.append(row);
  }
  el.dataset.count = String(items.length);
}

function fillTable(table, rows, cells, cls) {
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement('tr');
    if (cls) tr.className = cls;
    for (const c of cells(r)) {
      const td = document.createElement('td');
      td.textContent = c;
      tr.append(td);
    }
    body.append(tr);
  }
  table.dataset.rows = String(rows.length);
}

const hhmmss = (t) => (t ? new Date(t).toLocaleTimeString() : '');

async function update() {
  try {
    const [stats, top, alerts, conns] = await Promise.all([
      getJSON(`/api/v1/stats?history=${HISTORY_S}`),
      getJSON('/api/v1/top?n=10'),
      getJSON('/api/v1/alerts?limit=15'),
      getJSON('/api/v1/connections?limit=15'),
    ]);
    const rows = stats.history.map((r) => Object.assign({}, r, {
      handshake_ms: r.handshake_avg_s * 1000, rtt_ms: r.rtt_avg_s * 1000,
    }));
    state.history = rows;
    const last = rows.length ? rows[rows.length - 1] : {};
    text($('k-syns'), fmt(last.syns));
    text($('k-est'), fmt(last.established));
    text($('k-open'), fmt(stats.totals.open_connections));
    text($('k-retx'), fmt(last.retransmits));
    text($('k-hs'), stats.handshake.count ? dur(stats.handshake.avg_s) : '–');
    text($('k-alerts'), fmt(stats.totals.alerts));
    text($('k-lost'), fmt(stats.kernel.events_lost));
    text($('ifaces'), stats.interfaces.map((i) => `${i.ifname} (${i.mode})`).join(', ') +
      ` · connections via ${stats.connection_hook}`);
    for (const c of document.querySelectorAll('canvas.chart'))
      drawChart(c, rows, c.dataset.series.split(','));
    drawBars($('top-sources'), top.sources, (s) => s.address, (s) => s.syns);
    drawBars($('top-ports'), top.ports, (p) => `port ${p.port}`, (p) => p.syns);
    fillTable($('alerts'), alerts.alerts,
      (a) => [hhmmss(a.time), a.kind, a.source || '–', a.message], 'alert');
    fillTable($('conns'), conns.connections, (c) => [
      c.family === 'ipv6' ? `[${c.src}]:${c.sport}` : `${c.src}:${c.sport}`,
      c.dport, c.state, c.retransmits,
      dur(c.handshake_s), hhmmss(c.last_seen)]);
    await updateBlocklist(stats.blocklist_available);
    state.updates++;
    state.lastUpdate = Date.now();
    const st = $('status');
    st.className = 'status ok';
    text(st, `live · ${new Date().toLocaleTimeString()}`);
  } catch (e) {
    state.errors++;
    const st = $('status');
    st.className = 'status bad';
    text(st, `disconnected: ${e.message}`);
  }
}

async function updateBlocklist(available) {
  const el = $('blocklist');
  if (!available) {
    el.className = 'muted';
    el.textContent = 'not available in this build';
    return;
  }
  try {
    const bl = await getJSON('/api/v1/blocklist');
    el.className = '';
    el.replaceChildren();
    if (!bl.entries.length) {
      el.className = 'muted';
      el.textContent = 'empty';
      return;
    }
    for (const e of bl.entries) {
      const d = document.createElement('div');
      d.textContent = `${e.cidr}  ${e.hits !== undefined ? fmt(e.hits) + ' packets dropped' : ''}`;
      el.append(d);
    }
  } catch (e) {
    el.className = 'muted';
    el.textContent = e.status === 503 ? 'not available in this build' : `error: ${e.message}`;
  }
}

update();
setInterval(update, 1000);
window.addEventListener('resize', () => update());
