import Hummingbird

/// `GET /`: the node's status page, one self-contained HTML document (inline CSS and
/// JavaScript, no external URL, font or build step). Its script polls this node's JSON
/// routes — `/status`, `/peers` and `/activity` every 1.5 s, and `/validators`, `/jobs`
/// and `/evidence` when the height moved (at most every 1.5 s, at least every 15 s) —
/// and draws the cluster as this node sees it. The page is static: everything it shows
/// comes from those routes, so it costs the node nothing until it is polled.
enum StatusPage {
    static func response() -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8",
                // Nothing but this node: no external script, style, font, image or request.
                .contentSecurityPolicy:
                    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
                .cacheControl: "no-store",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PoE node</title>
<style>
:root {
  --bg: #0e1117; --panel: #161b22; --panel2: #1c2330; --line: #2a3240; --text: #e6edf3; --muted: #8b96a5;
  --accent: #58a6ff; --green: #3fb950; --amber: #d29922; --red: #f85149; --violet: #bc8cff; --teal: #39c5cf;
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", "Liberation Mono", Menlo, monospace;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { display: flex; align-items: center; gap: 14px; flex-wrap: wrap; padding: 14px 24px;
  background: linear-gradient(90deg, #161b22, #1a2233); border-bottom: 1px solid var(--line); }
header h1 { font-size: 18px; margin: 0; font-weight: 600; letter-spacing: .2px; }
header .key { font-family: var(--mono); color: var(--muted); font-size: 13px; }
header .spacer { flex: 1; }
#conn { font-size: 12px; color: var(--muted); display: flex; align-items: center; gap: 6px; }
#conn .dot { width: 9px; height: 9px; border-radius: 50%; background: var(--muted); }
#conn.ok .dot { background: var(--green); box-shadow: 0 0 6px var(--green); }
#conn.down .dot { background: var(--red); }
main { padding: 18px 24px 32px; display: grid; gap: 18px; max-width: 1500px; margin: 0 auto; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .6px; }
.card .value { font-size: 24px; font-weight: 600; margin-top: 2px; font-variant-numeric: tabular-nums; }
.card .sub { color: var(--muted); font-size: 12px; font-family: var(--mono); }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; min-width: 0; }
section h2 { font-size: 14px; margin: 0 0 10px; font-weight: 600; display: flex; align-items: baseline; gap: 10px; }
section h2 .note { color: var(--muted); font-weight: 400; font-size: 12px; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
@media (max-width: 980px) { .grid2 { grid-template-columns: 1fr; } }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th { text-align: left; color: var(--muted); font-weight: 500; font-size: 12px; padding: 6px 8px; border-bottom: 1px solid var(--line); }
td { padding: 7px 8px; border-bottom: 1px solid #20283a; white-space: nowrap; }
tr:last-child td { border-bottom: 0; }
td.num, th.num { text-align: right; }
.mono { font-family: var(--mono); font-size: 13px; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 500; border: 1px solid; }
.pill.primary { color: var(--violet); border-color: #6e4fa8; background: #2a2040; }
.pill.backup { color: var(--muted); border-color: var(--line); }
.pill.self { color: var(--accent); border-color: #2f5e99; background: #15263d; margin-left: 6px; }
.pill.pending { color: var(--amber); border-color: #7a5d1c; background: #2b2312; }
.pill.finalized { color: var(--teal); border-color: #23737a; background: #112a2d; }
.pill.settled { color: var(--green); border-color: #2b6e36; background: #12261a; }
.pill.failed, .pill.jailed { color: var(--red); border-color: #8a2f2b; background: #2d1517; }
.link { font-weight: 600; }
.link.up { color: var(--green); }
.link.down { color: var(--red); }
.link.na { color: var(--muted); font-weight: 400; }
.bar { height: 6px; background: #262e3d; border-radius: 3px; overflow: hidden; width: 90px; display: inline-block; vertical-align: middle; margin-right: 8px; }
.bar > span { display: block; height: 100%; background: var(--accent); }
.bar.done > span { background: var(--green); }
.chart svg { width: 100%; height: 170px; display: block; }
.legend { display: flex; gap: 14px; font-size: 12px; color: var(--muted); margin-top: 4px; }
.legend i { display: inline-block; width: 10px; height: 3px; border-radius: 2px; vertical-align: middle; margin-right: 5px; }
.tabs { display: inline-flex; gap: 4px; margin-left: auto; }
.tabs button { background: var(--panel2); color: var(--muted); border: 1px solid var(--line); border-radius: 6px;
  padding: 2px 10px; font: inherit; font-size: 12px; cursor: pointer; }
.tabs button.on { color: var(--text); border-color: var(--accent); }
.totals { display: flex; gap: 16px; color: var(--muted); font-size: 12px; margin-bottom: 8px; flex-wrap: wrap; }
.totals b { color: var(--text); font-weight: 600; }
.empty { color: var(--muted); font-style: italic; padding: 8px 2px; }
.counters { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 4px 18px; }
.counters div { display: flex; justify-content: space-between; border-bottom: 1px dashed #242c3a; padding: 3px 0; font-size: 13px; }
.counters span:first-child { color: var(--muted); }
.counters .warn { color: var(--amber); font-weight: 600; }
.scroll { overflow-x: auto; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding-bottom: 18px; }
</style>
</head>
<body>
<header>
  <h1 id="title">PoE node</h1>
  <span class="key" id="nodekey"></span>
  <span id="badges"></span>
  <span class="spacer"></span>
  <span id="conn"><span class="dot"></span><span id="conntext">connecting…</span></span>
</header>
<main>
  <div class="cards" id="cards"></div>
  <section>
    <h2>Validators <span class="note">as this node sees them: the highest checkpoint and view it saw each one sign</span></h2>
    <div class="scroll"><table id="validators"><tbody><tr><td class="empty">loading…</td></tr></tbody></table></div>
  </section>
  <div class="grid2">
    <section class="chart">
      <h2>Throughput <span class="note">transactions committed per second, last 5 minutes</span></h2>
      <div id="tputchart"></div>
      <div class="legend"><span><i style="background:var(--accent)"></i>transactions/s</span><span id="tputnow"></span></div>
    </section>
    <section class="chart">
      <h2>Commit latency <span class="note">transactions that reached this node, per second</span></h2>
      <div id="latchart"></div>
      <div class="legend"><span><i style="background:var(--teal)"></i>mean</span><span><i style="background:var(--amber)"></i>max</span><span id="latnow"></span></div>
    </section>
  </div>
  <section>
    <h2>Jobs <span class="note">most recently submitted first</span>
      <span class="tabs" id="tabs"></span></h2>
    <div class="totals" id="jobtotals"></div>
    <div class="scroll"><table id="jobs"><tbody><tr><td class="empty">loading…</td></tr></tbody></table></div>
  </section>
  <div class="grid2">
    <section>
      <h2>Slashes <span class="note">wrong results, in batches this node applied since it started</span></h2>
      <div class="scroll"><table id="slashes"></table></div>
    </section>
    <section>
      <h2>Evidence <span class="note">validators proven to sign two results (jailed)</span></h2>
      <div class="scroll"><table id="evidence"></table></div>
    </section>
  </div>
  <section>
    <h2>Node counters <span class="note">totals since this node started; amber when not zero and worth a look</span></h2>
    <div class="counters" id="counters"></div>
  </section>
</main>
<footer>Served by the node itself · refreshes every 1.5 s · JSON: /status /validators /jobs /evidence /peers /activity · Prometheus: /metrics</footer>
<script>
"use strict";
const POLL_MS = 1500, LEDGER_MAX_AGE_MS = 15000, CHART_SECONDS = 300;
const state = { status: null, peers: null, activity: null, validators: null, jobs: null, evidence: null,
  filter: "", ledgerHeight: -1, ledgerAt: 0, failures: 0, busy: false };

const $ = (id) => document.getElementById(id);
const esc = (v) => String(v).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const short = (hex) => esc(String(hex || "").slice(0, 8));
const fmt = (n) => (n === null || n === undefined) ? "–" : Number(n).toLocaleString("en-US");
const ms = (v) => v === null || v === undefined ? "–" : (v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString("en-US")) + " ms";

async function getJSON(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(path + ": HTTP " + response.status);
  return response.json();
}

async function poll() {
  // One poll at a time: a slow node is not asked again before it answered.
  if (state.busy) return;
  state.busy = true;
  try {
    const [status, peers, activity] = await Promise.all([getJSON("/status"), getJSON("/peers"), getJSON("/activity?seconds=" + CHART_SECONDS)]);
    Object.assign(state, { status, peers, activity, failures: 0 });
    const stale = Date.now() - state.ledgerAt > LEDGER_MAX_AGE_MS;
    if (status.height !== state.ledgerHeight || stale) await pollLedger(status.height);
    setConnection(true, "live · height " + fmt(status.height));
  } catch (error) {
    state.failures += 1;
    setConnection(false, "cannot reach the node (" + error.message + "); retrying");
  } finally {
    state.busy = false;
  }
  render();
}

async function pollLedger(height) {
  const filter = state.filter ? "&status=" + encodeURIComponent(state.filter) : "";
  const [validators, jobs, evidence] = await Promise.all([getJSON("/validators"), getJSON("/jobs?limit=25" + filter), getJSON("/evidence?limit=10")]);
  Object.assign(state, { validators, jobs, evidence, ledgerHeight: height, ledgerAt: Date.now() });
}

function setConnection(ok, text) {
  $("conn").className = ok ? "ok" : "down";
  $("conntext").textContent = text;
}

function render() {
  if (!state.status) return;
  renderHeader(); renderCards(); renderValidators(); renderCharts(); renderJobs(); renderSlashes(); renderEvidence(); renderCounters();
}

function renderHeader() {
  const s = state.status;
  document.title = "PoE node " + s.name;
  $("title").textContent = "PoE node " + s.name;
  $("nodekey").textContent = "key " + s.nodeKey.slice(0, 16) + "…  ·  replica " + s.replicaID;
  const badges = [s.isPrimary ? '<span class="pill primary">primary</span>' : '<span class="pill backup">backup</span>'];
  if (s.viewChanging) badges.push('<span class="pill pending">changing view</span>');
  if (s.catchingUp) badges.push('<span class="pill pending">catching up</span>');
  $("badges").innerHTML = badges.join(" ");
}

function card(label, value, sub) {
  return '<div class="card"><div class="label">' + esc(label) + '</div><div class="value">' + value + '</div><div class="sub">' + (sub || "&nbsp;") + "</div></div>";
}

function renderCards() {
  const s = state.status, a = state.activity;
  const peerCount = state.peers ? state.peers.peers.length : s.replicas.length - 1;
  const recent = a ? a.transactions.slice(-10) : [];
  const rate = recent.length ? recent.reduce((x, y) => x + y, 0) / recent.length : 0;
  $("cards").innerHTML = [
    card("Height", fmt(s.height), "executed " + fmt(s.lastExecuted)),
    card("View", fmt(s.view), "primary: replica " + s.primary),
    card("Stable checkpoint", fmt(s.stableCheckpoint), "root " + short(s.stateRoot) + " @ " + fmt(s.stateRootHeight)),
    card("Peers linked", fmt(s.peersConnected) + " / " + fmt(peerCount), fmt(s.peerLinksLost) + " links lost"),
    card("Throughput", rate.toFixed(1) + "/s", "last 10 s"),
    card("Pending requests", fmt(s.pendingRequests), fmt(s.openJobs) + " open jobs here"),
    card("Uptime", a ? duration(a.uptimeSeconds) : "–", fmt(s.stateTransfers) + " state transfers"),
  ].join("");
}

function duration(seconds) {
  const h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
  return h ? h + "h " + m + "m" : m ? m + "m " + s + "s" : s + "s";
}

function renderValidators() {
  const s = state.status;
  const infos = new Map((state.validators ? state.validators.validators : []).map((v) => [v.nodeKey, v]));
  const linked = new Map((state.peers ? state.peers.peers : []).map((p) => [p.nodeKey, p.linked]));
  const top = Math.max(1, ...s.replicas.map((r) => r.lastCheckpoint));
  const rows = s.replicas.map((r) => {
    const v = infos.get(r.nodeKey) || {};
    const self = r.replicaID === s.replicaID;
    const link = self ? '<span class="link na">this node</span>'
      : linked.get(r.nodeKey) ? '<span class="link up">● linked</span>' : '<span class="link down">○ not linked</span>';
    const role = r.replicaID === s.primary ? '<span class="pill primary">primary</span>' : '<span class="pill backup">backup</span>';
    const behind = top - r.lastCheckpoint;
    const width = Math.round(100 * r.lastCheckpoint / top);
    return "<tr><td class=num>" + r.replicaID + '</td><td class="mono">' + short(r.nodeKey) + (self ? '<span class="pill self">' + esc(s.name) + "</span>" : "")
      + "</td><td>" + role + (v.jailed ? ' <span class="pill jailed">jailed</span>' : "") + "</td><td>" + link
      + '</td><td class=num><span class="bar' + (behind === 0 ? " done" : "") + '"><span style="width:' + width + '%"></span></span>' + fmt(r.lastCheckpoint)
      + "</td><td class=num>" + fmt(r.lastView) + "</td><td class=num>" + fmt(v.bond) + "</td><td class=num>" + fmt(v.balance)
      + '</td><td class="mono">' + esc(v.endpoint || "") + "</td></tr>";
  });
  $("validators").innerHTML = "<thead><tr><th class=num>#</th><th>node key</th><th>role</th><th>link from here</th><th class=num>last checkpoint</th>"
    + "<th class=num>last view</th><th class=num>bond</th><th class=num>balance (rewards)</th><th>endpoint</th></tr></thead><tbody>" + rows.join("") + "</tbody>";
}

// Charts: CHART_SECONDS on the x axis ending now, in buckets of BUCKET_SECONDS; a bucket
// before the node started, or without a value, is left empty.
const BUCKET_SECONDS = 5;

function buckets(values, combine) {
  const padded = Array(Math.max(0, CHART_SECONDS - values.length)).fill(undefined).concat(values.slice(-CHART_SECONDS));
  const out = [];
  for (let start = 0; start < padded.length; start += BUCKET_SECONDS) {
    const slice = padded.slice(start, start + BUCKET_SECONDS).filter((v) => v !== undefined);
    out.push(slice.length ? combine(slice) : null);
  }
  return out;
}

function chart(series, options) {
  const W = 640, H = 170, L = 44, R = 10, T = 10, B = 22, n = series[0].values.length;
  const all = series.flatMap((s) => s.values.filter((v) => v !== null));
  const max = niceMax(Math.max(options.minMax, ...all));
  const slot = (W - L - R) / n;
  const x = (i) => L + slot * (i + 0.5);
  const y = (v) => T + (H - T - B) * (1 - v / max);
  let svg = '<svg viewBox="0 0 ' + W + " " + H + '" preserveAspectRatio="none" role="img" aria-label="' + esc(options.label) + '">';
  for (let k = 0; k <= 4; k++) {
    const v = max * k / 4, yy = y(v).toFixed(1);
    svg += '<line x1="' + L + '" x2="' + (W - R) + '" y1="' + yy + '" y2="' + yy + '" stroke="#242c3a" stroke-width="1"/>';
    svg += '<text x="' + (L - 6) + '" y="' + (Number(yy) + 4) + '" fill="#8b96a5" font-size="11" text-anchor="end">' + esc(options.tick(v, max)) + "</text>";
  }
  const perMinute = 60 / BUCKET_SECONDS;
  for (let m = 0; m * perMinute < n; m++) {
    const xx = m === 0 ? W - R : L + slot * (n - m * perMinute);
    svg += '<text x="' + xx.toFixed(1) + '" y="' + (H - 6) + '" fill="#8b96a5" font-size="11" text-anchor="' + (m === 0 ? "end" : "middle") + '">'
      + (m === 0 ? "now" : "−" + m + " min") + "</text>";
  }
  for (const s of series) {
    if (s.bars) {
      s.values.forEach((v, i) => {
        if (v === null || v === 0) return;
        const top = y(v);
        svg += '<rect x="' + (x(i) - slot * 0.38).toFixed(1) + '" y="' + top.toFixed(1) + '" width="' + (slot * 0.76).toFixed(1)
          + '" height="' + (y(0) - top).toFixed(1) + '" rx="1.5" fill="' + s.color + '"/>';
      });
      continue;
    }
    const parts = [];
    let run = [];
    s.values.forEach((v, i) => {
      if (v === null) { if (run.length) parts.push(run); run = []; } else run.push([x(i), y(v)]);
    });
    if (run.length) parts.push(run);
    for (const p of parts) {
      const d = p.map(([a, b], i) => (i ? "L" : "M") + a.toFixed(1) + " " + b.toFixed(1)).join(" ");
      if (p.length > 1) svg += '<path d="' + d + '" fill="none" stroke="' + s.color + '" stroke-width="2" stroke-linejoin="round"/>';
      for (const [a, b] of p) svg += '<circle cx="' + a.toFixed(1) + '" cy="' + b.toFixed(1) + '" r="2.4" fill="' + s.color + '"/>';
    }
  }
  return svg + "</svg>";
}

// A round top for the y axis whose quarters are round too.
function niceMax(v) {
  const power = Math.pow(10, Math.floor(Math.log10(v)));
  for (const step of [1, 2, 4, 6, 8, 10]) if (v <= step * power) return step * power;
  return 10 * power;
}

function renderCharts() {
  const a = state.activity;
  if (!a) return;
  const tx = a.transactions;
  const rates = buckets(tx, (slice) => slice.reduce((x, y) => x + y, 0) / slice.length);
  $("tputchart").innerHTML = chart([{ values: rates, color: "#58a6ff", bars: true }],
    { label: "transactions per second", minMax: 1, tick: (v, max) => (max >= 4 ? Math.round(v) + "" : String(+v.toFixed(2))) });
  const last = tx.slice(-10);
  $("tputnow").textContent = "now " + (last.reduce((x, y) => x + y, 0) / Math.max(1, last.length)).toFixed(1) + "/s · "
    + fmt(tx.slice(-CHART_SECONDS).reduce((x, y) => x + y, 0)) + " in the last " + (tx.length >= CHART_SECONDS ? "5 min" : duration(tx.length));
  // Per bucket: the mean weighted by how many committed in each second, and the max.
  const indices = tx.map((_, i) => i);
  const means = buckets(indices, (slice) => {
    const counted = slice.filter((i) => a.latencyCount[i] > 0);
    const total = counted.reduce((sum, i) => sum + a.latencyCount[i], 0);
    return total ? counted.reduce((sum, i) => sum + a.latencyMeanMs[i] * a.latencyCount[i], 0) / total : null;
  });
  const maxima = buckets(indices, (slice) => {
    const values = slice.map((i) => a.latencyMaxMs[i]).filter((v) => v !== null);
    return values.length ? Math.max(...values) : null;
  });
  $("latchart").innerHTML = chart([{ values: maxima, color: "#d29922" }, { values: means, color: "#39c5cf" }],
    { label: "commit latency in milliseconds", minMax: 10, tick: (v) => (v >= 1000 ? (v / 1000).toFixed(1) + " s" : Math.round(v) + "") });
  const lastMean = [...a.latencyMeanMs].reverse().find((v) => v !== null);
  $("latnow").textContent = "latest mean " + ms(lastMean) + " · in " + BUCKET_SECONDS + " s buckets";
}

function renderJobs() {
  const filters = ["", "pending", "finalized", "settled", "failed"];
  $("tabs").innerHTML = filters.map((f) => '<button data-filter="' + f + '" class="' + (f === state.filter ? "on" : "") + '">' + (f || "all") + "</button>").join("");
  const t = state.activity ? state.activity.totals : null;
  $("jobtotals").innerHTML = t ? "since this node started: <b>" + fmt(t.jobsSubmitted) + "</b> submitted · <b>" + fmt(t.jobsFinalized)
    + "</b> finalized · <b>" + fmt(t.jobsSettled) + "</b> settled · <b>" + fmt(t.jobsFailed) + "</b> failed · <b>" + fmt(t.slashes) + "</b> slashes" : "";
  if (!state.jobs) return;
  if (!state.jobs.jobs.length) {
    $("jobs").innerHTML = '<tbody><tr><td class="empty">no ' + esc(state.filter || "") + " jobs yet</td></tr></tbody>";
    return;
  }
  const rows = state.jobs.jobs.map((j) => {
    const done = j.leadingAttestations >= j.quorum && j.quorum > 0;
    const width = j.quorum ? Math.min(100, Math.round(100 * j.leadingAttestations / j.quorum)) : 0;
    return '<tr><td class="mono">' + short(j.id) + '</td><td><span class="pill ' + esc(j.status) + '">' + esc(j.status) + "</span></td>"
      + '<td><span class="bar' + (done ? " done" : "") + '"><span style="width:' + width + '%"></span></span>' + j.leadingAttestations + " agree / " + j.quorum
      + ' <span style="color:var(--muted)">· ' + j.attestations + " of " + j.validatorCount + " attested</span></td>"
      + "<td class=num>" + (j.divergentAttestations ? '<span style="color:var(--red)">' + j.divergentAttestations + "</span>" : "0") + "</td>"
      + '<td class="mono">' + (j.agreedDigest ? short(j.agreedDigest) : "–") + "</td><td class=num>" + fmt(j.submitHeight)
      + "</td><td class=num>" + fmt(j.deadlineHeight) + "</td><td class=num>" + fmt(j.fee) + "</td></tr>";
  });
  $("jobs").innerHTML = "<thead><tr><th>job</th><th>status</th><th>attestations: agreeing / quorum</th><th class=num>divergent</th><th>agreed digest</th>"
    + "<th class=num>submitted at</th><th class=num>deadline</th><th class=num>fee</th></tr></thead><tbody>" + rows.join("") + "</tbody>";
}

function renderSlashes() {
  const list = state.activity ? state.activity.slashes : [];
  $("slashes").innerHTML = list.length
    ? "<thead><tr><th>validator</th><th>job</th><th class=num>height</th><th>attested</th><th>agreed</th></tr></thead><tbody>"
      + list.map((s) => '<tr><td class="mono">' + short(s.nodeKey) + '</td><td class="mono">' + short(s.jobID) + "</td><td class=num>" + fmt(s.height)
        + '</td><td class="mono" style="color:var(--red)">' + short(s.attestedDigest) + '</td><td class="mono">' + short(s.agreedDigest) + "</td></tr>").join("") + "</tbody>"
    : '<tbody><tr><td class="empty">none seen</td></tr></tbody>';
}

function renderEvidence() {
  const list = state.evidence ? state.evidence.evidence : [];
  $("evidence").innerHTML = list.length
    ? "<thead><tr><th>validator</th><th>job</th><th class=num>height</th></tr></thead><tbody>"
      + list.map((e) => '<tr><td class="mono">' + short(e.nodeKey) + '</td><td class="mono">' + short(e.jobID) + "</td><td class=num>" + fmt(e.height) + "</td></tr>").join("") + "</tbody>"
    : '<tbody><tr><td class="empty">none recorded</td></tr></tbody>';
}

function renderCounters() {
  const s = state.status, d = s.duties;
  const rows = [
    ["jobs started", d.jobsStarted], ["attestations submitted", d.attestationsSubmitted], ["attestations resubmitted", d.attestationsResubmitted],
    ["blob requests", d.blobRequests], ["evidence submitted", d.evidenceSubmitted], ["requests resent", d.requestsResent],
    ["state transfers", s.stateTransfers], ["local resumes", s.localResumes],
    ["inbox drops", s.inboxDropped, true], ["peer frames dropped", s.peerFramesDropped, true], ["malformed peer messages", s.malformedPeerMessages, true],
    ["invalid peer messages", s.invalidPeerMessages, true], ["handshakes refused", s.handshakesRefused, true], ["handshakes in progress", s.handshakesInProgress],
    ["peer links lost", s.peerLinksLost, true], ["checkpoint write failures", s.checkpointWriteFailures, true], ["requests refused", d.requestsRefused, true],
    ["jobs skipped (full)", d.jobsSkippedFull, true], ["runner full", d.runnerFull, true], ["local blob failures", d.localBlobFailures, true],
  ];
  $("counters").innerHTML = rows.map(([label, value, warn]) => "<div><span>" + esc(label) + '</span><span class="' + (warn && value ? "warn" : "") + '">' + fmt(value) + "</span></div>").join("");
}

$("tabs").addEventListener("click", (event) => {
  const filter = event.target.getAttribute("data-filter");
  if (filter === null) return;
  state.filter = filter;
  state.ledgerAt = 0;
  poll();
});

poll();
setInterval(poll, POLL_MS);
</script>
</body>
</html>
"""#
}
