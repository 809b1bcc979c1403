// The page of `kpisim serve` (docs/serve.md). The YAML text in the editor is the scenario: sliders
// edit it (yaml's Document keeps comments and layout), every change is validated by the server
// (the CLI's validator), and a valid scenario is run one replication at a time: replication 0 is
// the preview, the others refine the means and 95% intervals in the background. All policies of a
// replication share people, tasks and luck (common random numbers), so differences are paired.
import { parse, parseDocument } from "/vendor/yaml/index.js";

/* global uPlot */
const $ = (id) => document.getElementById(id);
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#8a6d3b", "#444444", "#F0E442"];
const BASE_VARS = ["true_value_per_fte", "net_value_usd", "headcount", "token_cost_usd", "rewards_usd", "penalties_usd",
  "burnout_share", "ai_task_share"];
// The scenario parameters that matter most to a policy question, shown as sliders (their range,
// unit and meaning come from the scenario reference, /api/info).
const SCENARIO_SLIDERS = [
  ["days"], ["organisation", "employees"], ["workforce", "prior_gain"], ["workforce", "proficiency_mean"],
  ["workforce", "integrity_mean"], ["workforce", "trust_mean"], ["behaviour", "verification_ratio"],
  ["behaviour", "adoption_friction_usd_per_hour"], ["managers", "pressure_response"], ["attrition", "annual_turnover"],
  ["measurement", "usage_noise_cv"], ["tools", "assistant", "usd_per_mtok"],
];
const DAYS_PER_YEAR = 364;

const S = {
  info: null, refs: new Map(), regimes: new Map(), vars: new Map(),
  text: "", resolvedText: "", resolved: null, scenario: null, valid: false,
  gen: 0, reps: [], openCards: new Set(), target: 8, variable: "true_value_per_fte", abort: null, plots: [], lastRunKey: "",
};

// ---------- server
// This page's session: the server stops a run of it when a newer run request of it arrives.
const SESSION = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2)).replace(/[^A-Za-z0-9-]/g, "");

async function api(path, body, signal, generation) {
  const init = body === undefined ? {} : { method: "POST", body, headers: { "Content-Type": "text/yaml" } };
  if (generation !== undefined) Object.assign(init.headers, { "X-KPISim-Session": SESSION, "X-KPISim-Generation": String(generation) });
  if (signal) init.signal = signal;
  const r = await fetch(path, init);
  const type = r.headers.get("Content-Type") || "";
  const data = type.startsWith("application/json") ? await r.json() : await r.text();
  return { status: r.status, data };
}

// ---------- editor
const editor = $("yaml");
const gutter = $("gutter");
let errorLines = new Map();

function renderGutter() {
  const n = editor.value.split("\n").length;
  const parts = [];
  for (let i = 1; i <= n; i++) {
    const msg = errorLines.get(i);
    parts.push(msg ? `<span class="err" title="${escapeHtml(msg)}">${i}</span>` : `<span>${i}</span>`);
  }
  gutter.innerHTML = parts.join("");
  gutter.scrollTop = editor.scrollTop;
}
editor.addEventListener("scroll", () => { gutter.scrollTop = editor.scrollTop; });

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function goTo(line, column) {
  const lines = editor.value.split("\n");
  let pos = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) pos += lines[i].length + 1;
  pos += Math.max(0, column - 1);
  editor.focus();
  editor.setSelectionRange(pos, pos + 1);
  editor.scrollTop = Math.max(0, (line - 4) * 18);
}

function showDiagnostics(list, ok) {
  const ul = $("diagnostics");
  errorLines = new Map();
  ul.innerHTML = "";
  for (const d of list) {
    if (d.line > 0 && d.severity === "error") errorLines.set(d.line, d.message);
    const li = document.createElement("li");
    li.className = d.severity;
    li.innerHTML = `<span class="pos">${d.line > 0 ? `${d.line}:${d.column}` : d.severity}</span>${escapeHtml(d.message)}`;
    if (d.line > 0) li.addEventListener("click", () => goTo(d.line, d.column));
    ul.appendChild(li);
  }
  if (ok && list.length === 0) {
    const li = document.createElement("li");
    li.className = "ok";
    li.textContent = "valid";
    ul.appendChild(li);
  }
  renderGutter();
}

let validateTimer = null;
let validateSeq = 0;
editor.addEventListener("input", () => {
  renderGutter();
  clearTimeout(validateTimer);
  validateTimer = setTimeout(validate, 250);
});

async function validate() {
  const text = editor.value;
  const seq = ++validateSeq;
  const { status, data } = await api("/api/validate", text);
  if (seq !== validateSeq) return;  // a newer edit is on its way
  if (status !== 200) {
    showDiagnostics([{ line: 0, column: 0, severity: "error", message: data.error || String(data) }], false);
    setStatus("error", data.error || "the server refused the scenario");
    return;
  }
  S.text = text;
  S.valid = data.ok;
  document.body.dataset.valid = data.ok ? "yes" : "no";
  showDiagnostics(data.diagnostics, data.ok);
  if (!data.ok) {
    setStatus("error", `${data.diagnostics.length} error${data.diagnostics.length === 1 ? "" : "s"} in the scenario: fix them to run`);
    return;
  }
  S.scenario = data.scenario;
  S.resolvedText = data.resolved;
  S.resolved = parse(data.resolved);
  const sc = data.scenario;
  $("scenario-summary").textContent =
    `${sc.name} · ${sc.employees.toLocaleString()} people · ${sc.policies.length} policies · ${sc.days} days`;
  renderSliders();
  startRuns();
}

// ---------- sliders: edit the YAML text through yaml's Document (comments and layout kept)
function getIn(obj, path) {
  let o = obj;
  for (const k of path) {
    if (o == null || typeof o !== "object") return undefined;
    o = o[k];
  }
  return o;
}

function setInText(path, value) {
  const doc = parseDocument(editor.value);
  if (doc.errors.length) return false;
  if (doc.contents == null) doc.contents = doc.createNode({});
  doc.setIn(path, value);
  editor.value = doc.toString({ flowCollectionPadding: false, lineWidth: 0 });
  renderGutter();
  validate();
  return true;
}

function refKey(path) {  // the reference's key of a path (map entries are NAME)
  if (path[0] === "tools" && path.length === 3) return `tools.NAME.${path[2]}`;
  return path.join(".");
}

function fmtNum(x, digits = 3) {
  if (x == null || !Number.isFinite(x)) return "–";
  const a = Math.abs(x);
  if (a >= 1e12) return x.toExponential(1);
  if (a >= 1e9) return (x / 1e9).toFixed(2) + "B";
  if (a >= 1e6) return (x / 1e6).toFixed(2) + "M";
  if (a >= 1e4) return Math.round(x).toLocaleString("en-US");
  if (a >= 100) return x.toFixed(0);
  return Number(x.toPrecision(digits)).toString();
}

function makeSlider(row, path, current, label) {
  const lo = row.lo, hi = row.hi;
  if (lo == null || hi == null || current == null || typeof current !== "number") return null;
  const integer = row.type === "integer";
  // Wide ranges (employees, days, money, tokens) get a logarithmic scale: v = lo + expm1(t ln(1 + hi - lo)).
  const log = hi - lo >= 1000;
  const steps = 1000;
  const span = Math.log1p(hi - lo);
  const toPos = (v) => Math.round(steps * (log ? Math.log1p(Math.max(0, v - lo)) / span : (v - lo) / (hi - lo)));
  const fromPos = (p) => {
    let v = log ? lo + Math.expm1(span * p / steps) : lo + (hi - lo) * p / steps;
    if (integer) v = Math.round(Number(v.toPrecision(log ? 2 : 4)));
    else v = Number(v.toPrecision(log ? 2 : 3));
    return Math.min(hi, Math.max(lo, v));
  };
  const div = document.createElement("div");
  div.className = "slider";
  div.dataset.key = path.join(".");
  const unit = row.unit && row.unit !== "1" ? ` ${row.unit}` : "";
  div.title = `${row.key}: ${row.doc}\nrange ${row.range}${unit}; default ${row.default}`;
  const input = document.createElement("input");
  input.type = "range";
  input.min = 0; input.max = steps; input.step = 1;
  input.value = toPos(current);
  input.setAttribute("aria-label", row.key);
  const val = document.createElement("span");
  val.className = "val";
  val.textContent = fmtNum(current, 4) + unit;
  const lab = document.createElement("label");
  lab.textContent = label;
  const range = document.createElement("div");
  range.className = "range";
  range.innerHTML = `<span>${fmtNum(lo)}</span><span>${escapeHtml(row.unit && row.unit !== "1" ? row.unit : "")}</span><span>${fmtNum(hi)}</span>`;
  if (String(current) !== String(row.default) && !String(row.default).includes(",")) div.classList.add("changed");
  input.addEventListener("input", () => { val.textContent = fmtNum(fromPos(+input.value), 4) + unit; });
  input.addEventListener("change", () => setInText(path, fromPos(+input.value)));
  div.append(lab, val, input, range);
  return div;
}

function renderSliders() {
  const box = $("sliders");
  box.innerHTML = "";
  for (const path of SCENARIO_SLIDERS) {
    const row = S.refs.get(refKey(path));
    if (!row) continue;
    const el = makeSlider(row, path, getIn(S.resolved, path), path.join("."));
    if (el) box.appendChild(el);
  }
  renderCards();
}

// ---------- runs: a preview, then refinement with more replications
function policyNames() { return S.reps.length ? S.reps[0].policies.map((p) => p.name) : Object.keys(S.resolved?.policies || {}); }

function setStatus(kind, text) {
  const el = $("status");
  el.className = `status ${kind}`;
  el.innerHTML = `<span class="dot"></span>${escapeHtml(text)}`;
  document.body.dataset.status = kind;
}

async function startRuns() {
  const key = `${S.resolvedText}\n${S.target}\n${S.variable}`;
  if (key === S.lastRunKey && S.reps.length) {  // nothing that changes results changed
    if (S.doneText) setStatus("done", S.doneText);
    return;
  }
  S.lastRunKey = key;
  S.doneText = "";
  if (S.abort) S.abort.abort();
  const abort = new AbortController();
  S.abort = abort;
  const gen = ++S.gen;
  const fresh = [];
  const vars = [...new Set([...BASE_VARS, S.variable])].join(",");
  const t0 = performance.now();
  for (let r = 0; r < S.target; r++) {
    setStatus("busy", r === 0 ? "running the preview (replication 1)…" : `refining: ${r} of ${S.target} replications`);
    let res;
    for (;;) {
      try {
        res = await api(`/api/run?replication=${r}&vars=${vars}`, S.text, abort.signal, gen);
      } catch (e) {
        if (abort.signal.aborted) return;
        setStatus("error", `the server did not answer: ${e}`);
        return;
      }
      if (gen !== S.gen) return;
      if (res.status !== 429) break;
      await new Promise((ok) => setTimeout(ok, 400));  // another run is in progress: wait for the slot
      if (gen !== S.gen) return;
    }
    if (res.status === 409) return;  // superseded by a newer change (its runs are on their way)
    if (res.status !== 200) {
      setStatus("error", res.data.error || `run failed (${res.status})`);
      return;
    }
    fresh.push(res.data);
    S.reps = fresh;
    render();
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  S.doneText = `${S.target} replication${S.target === 1 ? "" : "s"}${S.target > 1 ? " · 95% intervals" : ""} · ${secs} s · scenario ${S.reps[0].hash.slice(0, 8)}`;
  setStatus("done", S.doneText);
  document.body.dataset.runs = String(S.gen);
}

// ---------- statistics over replications
function tcrit(df) {
  const t = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131];
  return df <= 0 ? NaN : df <= t.length ? t[df - 1] : 1.96 + 2.4 / df;
}
function meanCI(xs) {
  const v = xs.filter((x) => x != null && Number.isFinite(x));
  const n = v.length;
  if (!n) return { mean: NaN, half: NaN, n };
  const m = v.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean: m, half: NaN, n };
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
  return { mean: m, half: tcrit(n - 1) * sd / Math.sqrt(n), n };
}
const isWorkday = (d) => d % 7 < 5;

function weekly(xs) {  // weekly means of the working days (weekends are days off)
  const out = [];
  for (let w = 0; w * 7 < xs.length; w++) {
    let s = 0, n = 0;
    for (let d = w * 7; d < Math.min(xs.length, w * 7 + 7); d++)
      if (isWorkday(d) && xs[d] != null) { s += xs[d]; n++; }
    out.push(n ? s / n : null);
  }
  return out;
}

// Headline numbers of one run (policy p of one replication).
function headline(rep, p) {
  const s = (v) => rep.series[v][p];
  const days = rep.days;
  const sum = (xs) => xs.reduce((a, b) => a + (b ?? 0), 0);
  const tv = s("true_value_per_fte"), hc = s("headcount");
  let fteDays = 0, tvSum = 0, tvW = 0, aiW = 0, nW = 0;
  for (let d = 0; d < days; d++) {
    tvSum += (tv[d] ?? 0) * (hc[d] ?? 0);
    if (isWorkday(d)) { fteDays += hc[d] ?? 0; tvW += tv[d] ?? 0; aiW += s("ai_task_share")[d] ?? 0; nW++; }
  }
  let burnoutEnd = NaN;
  for (let d = days - 1; d >= 0; d--) if (isWorkday(d) && s("burnout_share")[d] != null) { burnoutEnd = s("burnout_share")[d]; break; }
  const year = DAYS_PER_YEAR / days;
  const net = sum(s("net_value_usd"));
  return {
    netPerFteDay: fteDays ? net / fteDays : NaN,
    truePerFteDay: nW ? tvW / nW : NaN,
    aiShare: nW ? aiW / nW : NaN,
    burnoutEnd,
    trueValueYear: tvSum * year,
    tokenCostYear: sum(s("token_cost_usd")) * year,
    rewardsYear: sum(s("rewards_usd")) * year,
    penaltiesYear: sum(s("penalties_usd")) * year,
    netYear: net * year,
  };
}

function stats(metric) {  // per policy: mean ± CI, and paired difference from the reference policy
  const P = policyNames().length;
  const out = [];
  for (let p = 0; p < P; p++) {
    const xs = S.reps.map((r) => headline(r, p)[metric]);
    const ds = S.reps.map((r) => headline(r, p)[metric] - headline(r, 0)[metric]);
    out.push({ value: meanCI(xs), diff: meanCI(ds) });
  }
  return out;
}

// ---------- rendering
function colour(p) { return PALETTE[p % PALETTE.length]; }

function pm(ci, digits) {
  if (!Number.isFinite(ci.mean)) return "–";
  return Number.isFinite(ci.half) ? `${fmtNum(ci.mean, digits)} ± ${fmtNum(ci.half, 2)}` : fmtNum(ci.mean, digits);
}

function deltaHtml(ci, higherIsBetter, digits = 3) {
  if (!Number.isFinite(ci.mean)) return "";
  const sig = Number.isFinite(ci.half) && Math.abs(ci.mean) > ci.half;
  const good = (ci.mean > 0) === higherIsBetter;
  const cls = !sig ? "same" : good ? "good" : "bad";
  const sign = ci.mean > 0 ? "+" : "";
  const half = Number.isFinite(ci.half) ? ` ± ${fmtNum(ci.half, 2)}` : "";
  return `<span class="delta ${cls}">${sign}${fmtNum(ci.mean, digits)}${half}</span>`;
}

function renderCards() {
  const box = $("cards");
  box.innerHTML = "";
  const names = policyNames();
  const have = S.reps.length > 0;
  const m = have ? {
    net: stats("netPerFteDay"), tv: stats("truePerFteDay"), burn: stats("burnoutEnd"), ai: stats("aiShare"),
  } : null;
  names.forEach((name, p) => {
    const pol = S.resolved?.policies?.[name] || {};
    const card = document.createElement("div");
    card.className = "card";
    card.dataset.policy = name;
    card.style.setProperty("--c", colour(p));
    const metric = (label, key, big, higher, digits) => {
      if (!have) return `<div class="metric"><span>${label}</span><span class="v">…</span></div>`;
      const st = m[key][p];
      return `<div class="metric${big ? " big" : ""}"><span>${label}</span><span class="v">${pm(st.value, digits)}</span></div>` +
        (p > 0 ? `<div class="metric"><span></span>${deltaHtml(st.diff, higher, digits)}</div>` : "");
    };
    card.innerHTML = `<h3><span>${escapeHtml(name)}</span><span class="type">${escapeHtml(pol.type || "")}</span></h3>` +
      (p === 0 ? `<div class="ref">reference: differences are from this policy</div>` : "") +
      metric("net value / FTE-day (USD)", "net", true, true, 4) +
      metric("true value / FTE-day (USD)", "tv", false, true, 4) +
      metric("share of hours with AI", "ai", false, true, 3) +
      metric("burnt out at the end", "burn", false, false, 3);
    const reg = S.regimes.get(pol.type);
    if (reg) {
      const sl = document.createElement("div");
      sl.className = "sliders";
      for (const row of reg.params) {
        if (row.type !== "number" && row.type !== "integer") continue;
        const el = makeSlider(row, ["policies", name, row.key], pol[row.key], row.key);
        if (el) sl.appendChild(el);
      }
      if (sl.children.length) {
        const det = document.createElement("details");
        det.open = S.openCards.has(name);
        det.addEventListener("toggle", () => { if (det.open) S.openCards.add(name); else S.openCards.delete(name); });
        const sum = document.createElement("summary");
        sum.textContent = `${sl.children.length} parameter${sl.children.length === 1 ? "" : "s"} of ${pol.type}`;
        det.append(sum, sl);
        card.appendChild(det);
      }
    }
    box.appendChild(card);
  });
}

function destroyPlots() {
  for (const u of S.plots) u.destroy();
  S.plots = [];
}

function bandPlot(el, weeks, lines, opts) {
  // lines: [{label, colour, mean[], lo[], hi[]}]; bands drawn when lo/hi are given.
  const data = [weeks];
  const series = [{ label: "week" }];
  const bands = [];
  for (const l of lines) {
    data.push(l.mean);
    series.push({ label: l.label, stroke: l.colour, width: l.width || 1.6, dash: l.dash });
    const i = data.length - 1;
    if (l.lo && l.hi) {
      data.push(l.hi, l.lo);
      series.push({ label: `${l.label} hi`, stroke: "transparent" }, { label: `${l.label} lo`, stroke: "transparent" });
      bands.push({ series: [i + 1, i + 2], fill: l.colour + "26" });
    }
  }
  if (opts.legend !== false) {
    const lg = document.createElement("div");
    lg.className = "legend";
    lg.innerHTML = lines.map((l) => `<span><i style="background:${l.colour}"></i>${escapeHtml(l.label)}</span>`).join("");
    el.appendChild(lg);
  }
  const width = Math.max(240, el.clientWidth || 600);
  const u = new uPlot({
    width, height: opts.height || 280, series, bands,
    scales: { x: { time: false } },
    axes: [{ label: "week", size: 36 }, { label: opts.ylabel || "", size: 64, values: (u, v) => v.map((x) => fmtNum(x, 3)) }],
    legend: { show: false },
    cursor: { drag: { x: true, y: false } },
  }, data, el);
  S.plots.push(u);
  return u;
}

function render() {
  if (!S.reps.length) return;
  destroyPlots();
  renderCards();
  const rep0 = S.reps[0];
  const names = rep0.policies.map((p) => p.name);
  const v = S.variable;
  const info = S.vars.get(v) || { long_name: v, units: "" };
  const units = info.units && info.units !== "1" ? ` (${info.units})` : "";
  $("variable-note").textContent = `${info.long_name}${units} · weekly means of working days · ${S.reps.length} replication${S.reps.length === 1 ? "" : "s"}${S.reps.length > 1 ? ", 95% intervals" : ""}`;
  document.querySelectorAll(".ref-name").forEach((e) => { e.textContent = names[0]; });
  const weeksOf = (xs) => weekly(xs);
  const nWeeks = weeksOf(rep0.series[v][0]).length;
  const weeks = Array.from({ length: nWeeks }, (_, i) => i);
  const band = (perRep) => {  // perRep: [rep][week] -> mean, lo, hi
    const mean = [], lo = [], hi = [];
    for (let w = 0; w < nWeeks; w++) {
      const ci = meanCI(perRep.map((r) => r[w]));
      mean.push(Number.isFinite(ci.mean) ? ci.mean : null);
      lo.push(Number.isFinite(ci.half) ? ci.mean - ci.half : null);
      hi.push(Number.isFinite(ci.half) ? ci.mean + ci.half : null);
    }
    return S.reps.length > 1 ? { mean, lo, hi } : { mean };
  };
  // Trajectories with intervals.
  const traj = $("chart-trajectory");
  traj.innerHTML = "";
  bandPlot(traj, weeks, names.map((n, p) => ({ label: n, colour: colour(p), ...band(S.reps.map((r) => weeksOf(r.series[v][p]))) })),
    { ylabel: info.units || "", height: 300 });
  // Paired differences from the reference.
  const diff = $("chart-difference");
  diff.innerHTML = names.length < 2 ? `<div class="empty">One policy: add another under <code>policies</code> to compare.</div>` : "";
  if (names.length >= 2)
  bandPlot(diff, weeks, names.slice(1).map((n, i) => ({
    label: n, colour: colour(i + 1),
    ...band(S.reps.map((r) => { const a = weeksOf(r.series[v][i + 1]), b = weeksOf(r.series[v][0]); return a.map((x, w) => (x == null || b[w] == null ? null : x - b[w])); })),
  })), { ylabel: `Δ ${info.units || ""}`, height: 240 });
  renderMoney(names);
  renderDivisions(names, v, info, weeksOf, band);
  $("summary-text").textContent = rep0.summary_text;
}

function renderMoney(names) {
  const rows = [["+ true value", "trueValueYear"], ["− token cost", "tokenCostYear"], ["− rewards paid", "rewardsYear"],
    ["+ penalties", "penaltiesYear"], ["= net value", "netYear"]];
  let html = `<table class="money"><tr><th></th>${names.map((n, p) => `<th><span class="sw" style="background:${colour(p)}"></span>${escapeHtml(n)}</th>`).join("")}</tr>`;
  for (const [label, key] of rows) {
    const st = stats(key);
    const total = key === "netYear";
    html += `<tr class="${total ? "total" : ""}"><td>${label}</td>${st.map((s) => `<td>${fmtNum(s.value.mean, 4)}</td>`).join("")}</tr>`;
    if (total) {
      html += `<tr><td>± 95% interval</td>${st.map((s) => `<td>${Number.isFinite(s.value.half) ? fmtNum(s.value.half, 2) : "–"}</td>`).join("")}</tr>`;
      html += `<tr><td>vs ${escapeHtml(names[0])} (paired)</td>${st.map((s, p) => `<td>${p ? deltaHtml(s.diff, true, 3) : "—"}</td>`).join("")}</tr>`;
    }
  }
  const npf = stats("netPerFteDay");
  html += `<tr><td>net value / FTE-day</td>${npf.map((s) => `<td>${fmtNum(s.value.mean, 4)}</td>`).join("")}</tr></table>`;
  $("money").innerHTML = html;
}

function renderDivisions(names, v, info, weeksOf, band) {
  const box = $("divisions");
  box.innerHTML = "";
  const rep0 = S.reps[0];
  const us = rep0.unit_series[v];
  if (!us || !rep0.units.length) {
    $("division-note").textContent = info.per_unit ? "(per-division series are off: output.per_unit)" : `${v} is an organisation-level variable`;
    return;
  }
  $("division-note").textContent = `${info.long_name}${info.units && info.units !== "1" ? ` (${info.units})` : ""}, by division`;
  const nWeeks = weeksOf(us[0][0]).length;
  const weeks = Array.from({ length: nWeeks }, (_, i) => i);
  rep0.units.forEach((unit, u) => {
    const div = document.createElement("div");
    div.className = "division";
    div.innerHTML = `<h3>${escapeHtml(unit)}</h3>`;
    const el = document.createElement("div");
    div.appendChild(el);
    box.appendChild(div);
    bandPlot(el, weeks, names.map((n, p) => ({ label: n, colour: colour(p), ...band(S.reps.map((r) => weeksOf(r.unit_series[v][p][u]))) })),
      { height: 180, legend: false, ylabel: "" });
  });
}

// ---------- exports
function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}
function fileName(r, fallback) {
  const m = /filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "");
  return m ? m[1] : fallback;
}
async function exportFile(path, fallback, button) {
  if (!S.valid) { setStatus("error", "fix the scenario's errors before exporting"); return; }
  button.disabled = true;
  const old = button.textContent;
  button.textContent = "…";
  try {
    const r = await fetch(path, { method: "POST", body: editor.value, headers: { "Content-Type": "text/yaml" } });
    if (!r.ok) {
      const e = await r.json().catch(() => ({}));
      setStatus("error", e.error || `export failed (${r.status})`);
      return;
    }
    download(await r.blob(), fileName(r, fallback));
    document.body.dataset.exported = (document.body.dataset.exported || "") + fallback + ";";
  } finally {
    button.disabled = false;
    button.textContent = old;
  }
}
$("export-yaml").addEventListener("click", () => {
  const name = (S.scenario?.name || "scenario").replace(/[^A-Za-z0-9_.-]/g, "_");
  download(new Blob([editor.value], { type: "text/yaml" }), `${name}.yaml`);
  document.body.dataset.exported = (document.body.dataset.exported || "") + "scenario.yaml;";
});
$("export-h5").addEventListener("click", (e) => exportFile("/api/export/h5", "results.h5", e.currentTarget));
$("export-report").addEventListener("click", (e) => exportFile("/api/export/report", "report.html", e.currentTarget));

// ---------- controls and start
$("replications").addEventListener("change", (e) => { S.target = +e.target.value; startRuns(); });
$("variable").addEventListener("change", (e) => { S.variable = e.target.value; startRuns(); });
$("example").addEventListener("change", async (e) => {
  if (!e.target.value) return;
  const { status, data } = await api(`/api/examples?name=${encodeURIComponent(e.target.value)}`);
  if (status === 200) { editor.value = data; renderGutter(); validate(); }
});
let resizeTimer = null;
window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(render, 200); });

async function init() {
  const { data: info } = await api("/api/info");
  S.info = info;
  for (const r of info.reference) S.refs.set(r.key, r);
  for (const g of info.regimes) S.regimes.set(g.name, g);
  for (const v of info.variables) S.vars.set(v.name, v);
  const sel = $("variable");
  for (const v of info.variables) {
    const o = document.createElement("option");
    o.value = v.name;
    o.textContent = `${v.name} — ${v.long_name}`;
    if (v.name === S.variable) o.selected = true;
    sel.appendChild(o);
  }
  S.target = +$("replications").value;
  const { data: ex } = await api("/api/examples");
  const exSel = $("example");
  for (const name of ex.examples) {
    const o = document.createElement("option");
    o.value = o.textContent = name;
    exSel.appendChild(o);
  }
  $("boot").remove();
  const first = ex.examples.includes("compare_regimes.yaml") ? "compare_regimes.yaml" : ex.examples[0];
  if (first) {
    exSel.value = first;
    const { data } = await api(`/api/examples?name=${encodeURIComponent(first)}`);
    editor.value = data;
  } else {
    editor.value = "name: my_scenario\ndays: 91\norganisation:\n  employees: 200\npolicies:\n  bottom_up: {type: none}\n  leaderboard: {type: leaderboard}\n";
  }
  renderGutter();
  await validate();
}
window.kpisim = { S, validate, startRuns };  // for tests and the curious
init();
