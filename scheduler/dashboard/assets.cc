// The dashboard's page, style and script as raw string literals. Plain ES2017 and the DOM,
// no library: the page must work offline.
#include "scheduler/dashboard/assets.h"

namespace weft::scheduler::dashboard {

const char kIndexHtml[] = R"weft(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>weft dashboard</title>
<link rel="stylesheet" href="/dashboard.css">
</head>
<body>
<header>
  <h1>weft</h1>
  <span class="subtitle">scheduler dashboard</span>
  <span id="status" class="status">connecting…</span>
</header>
<main>
  <section id="totals" class="cards">
    <div class="card"><span class="label">Workers</span><span id="workers-count" class="value">–</span></div>
    <div class="card"><span class="label">Threads</span><span id="threads-count" class="value">–</span></div>
    <div class="card"><span class="label">Memory</span><span id="memory-total" class="value">–</span></div>
    <div class="card"><span class="label">Processing</span><span id="tasks-processing" class="value">–</span></div>
    <div class="card"><span class="label">In memory</span><span id="tasks-memory" class="value">–</span></div>
    <div class="card"><span class="label">Finished</span><span id="tasks-finished" class="value">–</span></div>
    <div class="card"><span class="label">Failed</span><span id="tasks-failed" class="value">–</span></div>
    <div class="card"><span class="label">Clients</span><span id="clients-count" class="value">–</span></div>
    <div class="card"><span class="label">Uptime</span><span id="uptime" class="value">–</span></div>
  </section>
  <section class="panel">
    <h2>Task stream <span id="stream-info" class="hint"></span></h2>
    <svg id="task-stream" width="100%" height="60"></svg>
    <div id="stream-legend" class="legend"></div>
  </section>
  <div class="columns">
    <section class="panel">
      <h2>Progress</h2>
      <div id="progress" class="bars"><p class="empty">No tasks.</p></div>
    </section>
    <section class="panel">
      <h2>Memory per worker</h2>
      <div id="memory" class="bars"><p class="empty">No workers yet.</p></div>
    </section>
  </div>
  <section class="panel">
    <h2>Task graph <span id="graph-info" class="hint"></span></h2>
    <div class="scroll"><svg id="task-graph" width="100%" height="30"></svg></div>
  </section>
  <section id="pipelines-panel" class="panel" hidden>
    <h2>Pipelines <span id="pipelines-info" class="hint"></span></h2>
    <table id="pipelines-table">
      <thead><tr>
        <th>Pipeline</th><th>Client</th><th>State</th><th>Stage</th><th>Workers</th>
        <th class="num">Batches in</th><th class="num">Batches out</th>
        <th class="num">Rows out</th><th class="num">Backlog</th><th class="num">Records/s</th>
      </tr></thead>
      <tbody id="pipelines-body"></tbody>
    </table>
  </section>
  <section class="panel">
    <h2>Workers</h2>
    <table id="workers-table">
      <thead><tr>
        <th>Name</th><th>ID</th><th>Address</th><th class="num">Threads</th>
        <th class="num">Memory</th><th class="num">Limit</th><th class="num">Spilled</th>
        <th class="num">Held</th><th class="num">Processing</th><th class="num">CPU</th>
        <th class="num">Occupancy</th><th>Resources</th><th>Status</th>
      </tr></thead>
      <tbody id="workers-body"></tbody>
    </table>
  </section>
</main>
<script src="/dashboard.js"></script>
</body>
</html>
)weft";

const char kDashboardCss[] = R"weft(
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
       background: #f4f5f7; color: #1f2328; }
header { display: flex; align-items: baseline; gap: 12px; padding: 10px 20px;
         background: #1f2a44; color: #fff; }
header h1 { margin: 0; font-size: 20px; letter-spacing: .5px; }
.subtitle { opacity: .7; }
.status { margin-left: auto; padding: 2px 10px; border-radius: 10px; background: #8a6d00; }
.status.live { background: #1a7f37; }
.status.down { background: #b42318; }
main { padding: 12px 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 10px; }
.card { background: #fff; border-radius: 6px; padding: 8px 12px; box-shadow: 0 1px 2px #0002; }
.card .label { display: block; font-size: 12px; color: #57606a; text-transform: uppercase; }
.card .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.panel { background: #fff; border-radius: 6px; padding: 8px 14px 12px; margin-top: 12px;
         box-shadow: 0 1px 2px #0002; }
.panel h2 { font-size: 15px; margin: 4px 0 8px; }
.hint { font-weight: normal; color: #57606a; font-size: 12px; }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.columns .panel { margin-top: 12px; }
.bars .row { display: grid; grid-template-columns: 120px 1fr 170px; gap: 8px; align-items: center;
             margin: 4px 0; }
.bars .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.bar { position: relative; height: 16px; background: #eaeef2; border-radius: 3px; overflow: hidden;
       display: flex; }
.bar span { height: 100%; }
.bars .count { font-size: 12px; color: #57606a; font-variant-numeric: tabular-nums; }
.empty { color: #57606a; margin: 4px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eaeef2; }
th { font-size: 12px; color: #57606a; text-transform: uppercase; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.paused { color: #b42318; font-weight: 600; }
.state-failed, .pipeline-error td { color: #b42318; }
.state-running { color: #1a7f37; font-weight: 600; }
.pipeline-id { display: block; font-size: 11px; color: #57606a; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; font-size: 12px; margin-top: 4px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
#task-stream text { font-size: 11px; fill: #57606a; }
#task-stream .grid { stroke: #eaeef2; }
.scroll { overflow-x: auto; }
#task-graph text { font-size: 11px; fill: #1f2328; }
#task-graph text.counts { fill: #57606a; }
#task-graph .edge { stroke: #8c959f; fill: none; }
#task-graph .graph-node { fill: #fff; stroke: #8c959f; rx: 4; }
)weft";

const char kDashboardJs[] = R"weft('use strict';
// Polls the scheduler's JSON API and redraws. Everything user-supplied (keys, names) goes
// into the page as text nodes, never as HTML.
const POLL_MS = 500;
const STREAM_KEEP = 2000;  // finished runs kept for the task stream
const SVG_NS = 'http://www.w3.org/2000/svg';
const stream = { records: [], lastSeq: 0 };
let workerNames = {};
let workerThreads = {};

function $(id) { return document.getElementById(id); }

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function setText(id, value) {
  const e = $(id);
  if (e && e.textContent !== String(value)) e.textContent = value;
}

function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
}

function formatSeconds(s) {
  if (s < 1) return (s * 1000).toFixed(s < 0.01 ? 2 : 0) + ' ms';
  if (s < 120) return s.toFixed(1) + ' s';
  if (s < 7200) return Math.floor(s / 60) + ' min';
  return (s / 3600).toFixed(1) + ' h';
}

function formatPercent(p) { return p.toFixed(p < 10 ? 1 : 0) + '%'; }

// A stable colour per task prefix.
function colorOf(prefix) {
  let h = 7;
  for (let i = 0; i < prefix.length; i++) h = (h * 31 + prefix.charCodeAt(i)) >>> 0;
  return 'hsl(' + (h % 360) + ', 62%, 48%)';
}

async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store' });
  // The token's cookie is gone or stale (a new scheduler, another token): load the page
  // again, which is then the server's page that asks for the token.
  if (response.status === 401) location.reload();
  if (!response.ok) throw new Error(path + ': HTTP ' + response.status);
  return response.json();
}

function renderCluster(c) {
  const byState = c.tasks_by_state || {};
  setText('workers-count', c.workers);
  setText('threads-count', c.threads);
  setText('memory-total', formatBytes(c.memory_bytes));
  setText('tasks-processing', byState.processing || 0);
  setText('tasks-memory', byState.memory || 0);
  setText('tasks-finished', c.tasks_finished_total);
  setText('tasks-failed', c.tasks_failed_total);
  setText('clients-count', c.clients);
  setText('uptime', formatSeconds(c.uptime_seconds));
}

// Workers that are connected now, by id: the task stream draws lanes for these only.
function renderWorkers(workers) {
  workerNames = {};
  workerThreads = {};
  const body = $('workers-body');
  const rows = workers.map(w => {
    workerNames[w.id] = w.label || w.name || w.id;
    workerThreads[w.id] = w.nthreads;
    const tr = el('tr', { 'data-worker': w.id });
    const log = el('a', { href: '/worker-log?worker=' + encodeURIComponent(w.address),
                          target: '_blank', title: 'the last 200 lines of its log' }, w.name);
    const nameCell = el('td', {});
    nameCell.append(log);
    tr.append(nameCell, el('td', {}, w.id), el('td', {}, w.address),
              el('td', { class: 'num' }, w.nthreads),
              el('td', { class: 'num' }, formatBytes(w.memory_bytes)),
              el('td', { class: 'num' }, w.memory_limit > 0 ? formatBytes(w.memory_limit) : '—'),
              el('td', { class: 'num' }, formatBytes(w.spilled_bytes)),
              el('td', { class: 'num' }, w.keys_in_memory),
              el('td', { class: 'num' }, w.processing),
              el('td', { class: 'num cpu' }, formatPercent(w.cpu_percent || 0)),
              el('td', { class: 'num occupancy' }, formatSeconds(w.occupancy_seconds || 0)),
              el('td', {}, Object.keys(w.resources || {}).sort().map(
                  r => r + ' ' + ((w.resources_used || {})[r] || 0) + '/' + w.resources[r])
                  .join(', ') || '—'),
              el('td', { class: w.paused ? 'paused' : '', title: w.stuck || '' },
                 w.stuck ? 'stuck' : w.paused ? 'paused' : 'running'));
    return tr;
  });
  body.replaceChildren(...rows);
}

// A row of the Progress and Memory panels: name, stacked bar, counts.
function barRow(name, segments, total, countText, attrs) {
  const row = el('div', Object.assign({ class: 'row' }, attrs));
  const bar = el('div', { class: 'bar' });
  for (const s of segments) {
    if (s.value <= 0 || total <= 0) continue;
    const span = el('span', { title: s.title, 'data-state': s.state || '' });
    span.style.width = (100 * s.value / total) + '%';
    span.style.background = s.color;
    if (s.opacity) span.style.opacity = s.opacity;
    bar.append(span);
  }
  row.append(el('span', { class: 'name', title: name }, name), bar,
             el('span', { class: 'count' }, countText));
  return row;
}

function renderMemory(workers) {
  const box = $('memory');
  if (workers.length === 0) {
    box.replaceChildren(el('p', { class: 'empty' }, 'No workers yet.'));
    return;
  }
  const scale = Math.max(1, ...workers.map(w => Math.max(w.memory_limit,
                                                         w.memory_bytes + w.spilled_bytes)));
  box.replaceChildren(...workers.map(w => {
    const used = w.memory_bytes;
    const ratio = w.memory_limit > 0 ? used / w.memory_limit : 0;
    const color = w.paused ? '#b42318' : ratio > 0.7 ? '#d97706' : '#2f6fdd';
    const text = formatBytes(used) + (w.memory_limit > 0 ? ' / ' + formatBytes(w.memory_limit) : '') +
                 (w.spilled_bytes > 0 ? ' (+' + formatBytes(w.spilled_bytes) + ' spilled)' : '');
    return barRow(w.label || w.name || w.id, [
      { value: used, color: color, title: 'in memory: ' + formatBytes(used) },
      { value: w.spilled_bytes, color: '#8c959f', title: 'spilled: ' + formatBytes(w.spilled_bytes) },
    ], scale, text, { 'data-worker': w.id });
  }));
}

function renderProgress(prefixes) {
  const box = $('progress');
  if (prefixes.length === 0) {
    box.replaceChildren(el('p', { class: 'empty' }, 'No tasks.'));
    return;
  }
  box.replaceChildren(...prefixes.map(p => {
    const n = p.tasks_by_state;
    const color = colorOf(p.prefix);
    const waiting = (n.waiting || 0) + (n.queued || 0);
    const noWorker = n['no-worker'] || 0;  // no connected worker may run them (restrictions)
    const segments = [
      { state: 'memory', value: n.memory || 0, color: color, title: 'in memory: ' + (n.memory || 0) },
      { state: 'erred', value: n.erred || 0, color: '#b42318', title: 'erred: ' + (n.erred || 0) },
      { state: 'processing', value: n.processing || 0, color: color, opacity: 0.45,
        title: 'processing: ' + (n.processing || 0) },
      { state: 'no-worker', value: noWorker, color: '#d4a72c',
        title: 'no-worker (no connected worker can run them): ' + noWorker },
      { state: 'waiting', value: waiting, color: '#c6ccd2', title: 'queued or waiting: ' + waiting },
      { state: 'released', value: n.released || 0, color: '#eaeef2', title: 'released: ' + (n.released || 0) },
    ];
    let text = (n.memory || 0) + ' / ' + p.total;
    if (n.processing) text += ', ' + n.processing + ' running';
    if (n.erred) text += ', ' + n.erred + ' erred';
    if (waiting) text += ', ' + waiting + ' waiting';
    if (noWorker) text += ', ' + noWorker + ' no-worker';
    return barRow(p.prefix, segments, p.total, text, { 'data-prefix': p.prefix });
  }));
}

function mergeStream(data) {
  if (data.tasks_finished_total < stream.lastSeq) {  // the scheduler restarted
    stream.records = [];
    stream.lastSeq = 0;
  }
  for (const t of data.tasks) stream.records.push(t);
  if (stream.records.length > STREAM_KEEP) stream.records.splice(0, stream.records.length - STREAM_KEEP);
  if (data.tasks.length > 0) stream.lastSeq = data.tasks[data.tasks.length - 1].seq;
}

// Rows: one per worker thread. The scheduler does not know which thread ran a task, so each
// worker's runs are packed greedily into lanes that do not overlap, at most as many as the
// worker has threads (times are as the scheduler heard them, so runs may seem to overlap:
// those share the lane that frees first).
function streamLanes(records, threadsOf) {
  const byWorker = new Map();
  for (const r of records) {
    if (!(r.worker in threadsOf)) continue;  // a worker that left: no lane
    if (!byWorker.has(r.worker)) byWorker.set(r.worker, []);
    byWorker.get(r.worker).push(r);
  }
  const lanes = [];
  const byLabel = (a, b) => (workerNames[a] || a).localeCompare(workerNames[b] || b);
  for (const worker of [...byWorker.keys()].sort(byLabel)) {
    const runs = byWorker.get(worker).sort((a, b) => a.start - b.start);
    const ends = [];
    const first = lanes.length;
    const maxLanes = threadsOf[worker] || Infinity;
    for (const r of runs) {
      let lane = ends.findIndex(end => end <= r.start + 1e-6);
      if (lane < 0 && ends.length >= maxLanes) lane = ends.indexOf(Math.min(...ends));
      if (lane < 0) { lane = ends.length; ends.push(0); lanes.push({ worker: worker, thread: lane, runs: [] }); }
      ends[lane] = r.stop;
      lanes[first + lane].runs.push(r);
    }
  }
  return lanes;
}

function renderStream() {
  const box = $('task-stream');
  const records = stream.records;
  const legend = $('stream-legend');
  if (records.length === 0) {
    box.setAttribute('height', 30);
    box.replaceChildren(svgEl('text', { x: 8, y: 20 }, 'No task has finished yet.'));
    legend.replaceChildren();
    setText('stream-info', '');
    return;
  }
  const lanes = streamLanes(records, workerThreads);
  if (lanes.length === 0) {
    box.setAttribute('height', 30);
    box.replaceChildren(svgEl('text', { x: 8, y: 20 }, 'No recent task ran on a connected worker.'));
    legend.replaceChildren();
    setText('stream-info', '');
    return;
  }
  const t0 = Math.min(...records.map(r => r.start));
  const t1 = Math.max(t0 + 1e-3, ...records.map(r => r.stop));
  const width = Math.max(300, box.clientWidth || box.parentNode.clientWidth || 1000);
  const labelWidth = 110, rowHeight = 16, top = 4, axis = 18;
  const plot = width - labelWidth - 10;
  const x = t => labelWidth + plot * (t - t0) / (t1 - t0);
  const height = top + lanes.length * rowHeight + axis;
  box.setAttribute('height', height);
  box.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
  const parts = [];
  for (let i = 0; i <= 5; i++) {
    const t = t0 + (t1 - t0) * i / 5;
    parts.push(svgEl('line', { class: 'grid', x1: x(t), x2: x(t), y1: top, y2: height - axis }));
    parts.push(svgEl('text', { x: x(t), y: height - 4, 'text-anchor': i === 0 ? 'start' : i === 5 ? 'end' : 'middle' },
                     i === 5 ? 'last' : '-' + formatSeconds(t1 - t)));
  }
  lanes.forEach((lane, i) => {
    const y = top + i * rowHeight;
    parts.push(svgEl('text', { x: 4, y: y + rowHeight - 4 },
                     (workerNames[lane.worker] || lane.worker) + ' #' + lane.thread));
    for (const r of lane.runs) {
      const rect = svgEl('rect', {
        class: 'task', 'data-prefix': r.prefix, 'data-worker': r.worker,
        x: x(r.start), y: y + 1, width: Math.max(1, x(r.stop) - x(r.start)), height: rowHeight - 2,
        fill: colorOf(r.prefix),
      });
      rect.append(svgEl('title', {}, r.key + ' — ' + formatSeconds(r.stop - r.start)));
      parts.push(rect);
    }
  });
  box.replaceChildren(...parts);
  const prefixes = [...new Set(records.map(r => r.prefix))].sort();
  legend.replaceChildren(...prefixes.map(p => {
    const item = el('span', {});
    const swatch = el('i', {});
    swatch.style.background = colorOf(p);
    item.append(swatch, document.createTextNode(p));
    return item;
  }));
  setText('stream-info', 'last ' + records.length + ' tasks over ' + formatSeconds(t1 - t0));
}

// The live graphs by key prefix: a column per layer (dependencies to the left), a box per
// prefix with its tasks per state, an arrow per pair of prefixes that depend on each other.
function renderGraph(g) {
  const box = $('task-graph');
  if (g.nodes.length === 0) {
    box.setAttribute('height', 30);
    box.replaceChildren(svgEl('text', { x: 8, y: 20 }, 'No graph is running.'));
    setText('graph-info', '');
    return;
  }
  const boxW = 190, boxH = 44, gapX = 70, gapY = 14, pad = 8;
  const rows = [];
  const pos = g.nodes.map(n => {
    rows[n.layer] = (rows[n.layer] || 0) + 1;
    return { x: pad + n.layer * (boxW + gapX), y: pad + (rows[n.layer] - 1) * (boxH + gapY) };
  });
  const width = pad * 2 + (rows.length - 1) * (boxW + gapX) + boxW;
  const height = pad * 2 + Math.max(...rows.filter(Boolean)) * (boxH + gapY) - gapY;
  box.setAttribute('height', height);
  box.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
  box.setAttribute('width', width);
  const marker = svgEl('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5,
                                   markerWidth: 6, markerHeight: 6, orient: 'auto' });
  marker.append(svgEl('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8c959f' }));
  const defs = svgEl('defs', {});
  defs.append(marker);
  const parts = [defs];
  const loops = {};
  for (const e of g.edges) {
    if (e.from === e.to) { loops[e.from] = e.dependencies; continue; }
    const a = pos[e.from], b = pos[e.to];
    const x1 = a.x + boxW, y1 = a.y + boxH / 2, x2 = b.x, y2 = b.y + boxH / 2;
    const mx = (x1 + x2) / 2;
    const path = svgEl('path', { class: 'edge', 'marker-end': 'url(#arrow)',
                                 'data-from': g.nodes[e.from].prefix, 'data-to': g.nodes[e.to].prefix,
                                 d: 'M' + x1 + ',' + y1 + ' C' + mx + ',' + y1 + ' ' + mx + ',' + y2 + ' ' + x2 + ',' + y2 });
    path.append(svgEl('title', {}, e.dependencies + ' dependencies'));
    parts.push(path);
  }
  g.nodes.forEach((n, i) => {
    const { x, y } = pos[i];
    const group = svgEl('g', { class: 'graph-prefix', 'data-prefix': n.prefix });
    group.append(svgEl('rect', { class: 'graph-node', x: x, y: y, width: boxW, height: boxH }));
    const stripe = svgEl('rect', { x: x, y: y, width: 5, height: boxH, fill: colorOf(n.prefix) });
    group.append(stripe);
    group.append(svgEl('text', { x: x + 10, y: y + 16 }, n.prefix + (loops[i] ? '  ↻' : '')));
    const counts = Object.entries(n.tasks_by_state).map(([state, k]) => k + ' ' + state).join(', ');
    group.append(svgEl('text', { class: 'counts', x: x + 10, y: y + 34 }, counts));
    group.append(svgEl('title', {}, n.prefix + ': ' + counts));
    parts.push(group);
  });
  box.replaceChildren(...parts);
  setText('graph-info', g.nodes.length + ' prefixes' +
          (g.truncated ? ' (partial: the first ' + g.tasks_seen + ' tasks)' : ''));
}

// A counter the stage does not report is null.
function formatCount(n) { return n === null || n === undefined ? '—' : n.toLocaleString('en-US'); }

function formatRate(r) { return r >= 100 ? Math.round(r).toLocaleString('en-US') : r.toFixed(1); }

// A row per stage (pipeline, client, state, backlog and rate span them), then the error
// if it failed. The panel is hidden while there is no pipeline.
function renderPipelines(pipelines) {
  $('pipelines-panel').hidden = pipelines.length === 0;
  const running = pipelines.filter(p => p.state === 'running').length;
  setText('pipelines-info', pipelines.length === 0 ? '' : running + ' running of ' + pipelines.length);
  const rows = [];
  for (const p of pipelines) {
    const span = { rowspan: p.stages.length };
    p.stages.forEach((s, i) => {
      const tr = el('tr', { class: 'stage', 'data-pipeline': p.id, 'data-role': s.role });
      if (i === 0) {
        const name = el('td', span, p.name);
        name.append(el('span', { class: 'pipeline-id' }, p.id));
        tr.append(name, el('td', span, p.client),
                  el('td', Object.assign({ class: 'state-' + p.state }, span,
                                   p.first_skipped ? { title: p.first_skipped } : {}),
                     p.records_skipped > 0 ? p.state + ' (' + formatCount(p.records_skipped) + ' skipped)' : p.state));
      }
      const workers = s.workers.map(w => workerNames[w] || w).join(', ') || '—';
      tr.append(el('td', { title: s.address || (s.role === 'parallel' ? p.function : '') },
                   s.role === 'parallel' ? 'parallel (' + p.function + ')' : s.role),
                el('td', {}, workers),
                el('td', { class: 'num' }, formatCount(s.batches_in)),
                el('td', { class: 'num' }, formatCount(s.batches_out)),
                el('td', { class: 'num' }, formatCount(s.rows_out)));
      if (i === 0) {
        tr.append(el('td', Object.assign({ class: 'num backlog' }, span), p.backlog),
                  el('td', Object.assign({ class: 'num rate' }, span),
                     p.state === 'running' ? formatRate(p.records_per_second) : '—'));
      }
      rows.push(tr);
    });
    if (p.error) {
      const tr = el('tr', { class: 'pipeline-error', 'data-pipeline': p.id });
      tr.append(el('td', { colspan: 10 }, p.error));
      rows.push(tr);
    }
  }
  $('pipelines-body').replaceChildren(...rows);
}

function setStatus(text, cls) {
  const s = $('status');
  s.textContent = text;
  s.className = 'status ' + cls;
}

async function refresh() {
  try {
    const [cluster, workers, progress, tasks, graph, pipelines] = await Promise.all([
      getJson('/api/cluster'), getJson('/api/workers'), getJson('/api/progress'),
      getJson('/api/tasks/stream?after=' + stream.lastSeq + '&limit=' + STREAM_KEEP),
      getJson('/api/graph'), getJson('/api/pipelines'),
    ]);
    renderCluster(cluster);
    renderWorkers(workers.workers);
    renderMemory(workers.workers);
    renderProgress(progress.prefixes);
    mergeStream(tasks);
    renderStream();
    renderGraph(graph);
    renderPipelines(pipelines.pipelines);
    setStatus('live', 'live');
  } catch (e) {
    setStatus('disconnected', 'down');
    console.error(e);
  } finally {
    setTimeout(refresh, POLL_MS);
  }
}

refresh();
)weft";

}  // namespace weft::scheduler::dashboard
