"""The browser page: one run's verdict and every figure, drawn with plotly, loading nothing remote.

`page_html(payload)` returns one self-contained HTML document (`arena run NAME --html FILE`): the
run's data is embedded as JSON and plotly's JavaScript bundle, read from the installed `plotly`
wheel, is inlined. `page_html(payload, plotly_src="/plotly.min.js", live=True)` is the page
`arena view` serves: the same drawing code, with plotly served by the view server itself and a
poll of `/latest.json` that redraws the page after every run.

The figures are drawn in the browser from the figure model's plain data (`arena_cli.figures`),
so Python never imports plotly: this module only reads the bundle's bytes.
"""

from __future__ import annotations

import functools
import html
import importlib.util
import json
from pathlib import Path
from typing import Any

PLOTLY_BUNDLE = ("package_data", "plotly.min.js")


class PlotlyMissing(RuntimeError):
    pass


def plotly_js_path() -> Path:
    """The JavaScript bundle inside the installed plotly wheel (found without importing plotly)."""
    spec = importlib.util.find_spec("plotly")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        path = Path(folder).joinpath(*PLOTLY_BUNDLE)
        if path.is_file():
            return path
    raise PlotlyMissing("the page needs plotly's JavaScript bundle; install plotly (`python -m pip install plotly`)")


@functools.lru_cache(maxsize=1)
def plotly_js() -> str:
    return plotly_js_path().read_text(encoding="utf-8")


def _json_for_script(data: Any) -> str:
    """JSON that is safe inside a <script> element (no `</script>`, no `<!--`)."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


STYLE = """
:root { color-scheme: light; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --dim: #57606a; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
header { padding: 14px 24px; background: #fff; border-bottom: 1px solid #d0d7de; display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
header h1 { font-size: 20px; margin: 0; }
header .where { color: var(--dim); font-family: ui-monospace, monospace; font-size: 13px; }
#live { margin-left: auto; color: var(--dim); font-size: 13px; }
#live.stale { color: var(--bad); }
.badge { font-weight: 700; padding: 2px 10px; border-radius: 12px; color: #fff; font-size: 13px; }
.badge.passed { background: var(--ok); } .badge.failed, .badge.broken, .badge.crashed, .badge.timeout, .badge.missing { background: var(--bad); }
.badge.cancelled, .badge.waiting { background: var(--dim); }
main { padding: 16px 24px; max-width: 1400px; }
pre.verdict { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 12px 14px; white-space: pre-wrap; font-size: 13px; margin: 0 0 16px; max-height: 40vh; overflow: auto; }
#figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
.figure { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px; min-width: 0; }
.figure .note { color: var(--dim); font-size: 12px; margin: 4px 8px; }
.figure .error { color: var(--bad); font-size: 13px; margin: 8px; }
.figure h2 { font-size: 15px; margin: 4px 8px 8px; }
.tokens .seq { margin: 6px 8px 10px; line-height: 1.9; }
.tokens .label { color: var(--dim); font-size: 12px; margin-right: 6px; }
.tokens .tok { font-family: ui-monospace, monospace; font-size: 13px; padding: 1px 0; border-radius: 2px; white-space: pre; }
.tokens .tok.hl { outline: 2px solid #000; outline-offset: 1px; }
.empty { color: var(--dim); padding: 24px 0; }
"""

# The drawing code: figure model (plain data) -> plotly traces and layouts. Kept in one place and
# used by both pages, so the static page and the live one always look the same.
SCRIPT = r"""
(function () {
"use strict";
// nothing that leaves the machine: no logo link, no "share" upload to Plotly's cloud, no map data
const CONFIG = {displaylogo: false, showLink: false, showSendToCloud: false, plotlyServerURL: "", responsive: true, topojsonURL: "",
  typesetMath: false, modeBarButtonsToRemove: ["sendChartToCloud", "sendDataToCloud", "editInChartStudio"]};
const MAX_TICKS = 40;
const LEGEND = {orientation: "h", x: 0, y: -0.18};
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (v) => (v === null || v === undefined) ? "nan" : (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : +v.toPrecision(4) + "");
const range = (n) => Array.from({length: n}, (_, i) => i);
function ticks(labels) {
  const step = Math.max(1, Math.ceil(labels.length / MAX_TICKS));
  const vals = range(labels.length).filter((i) => i % step === 0);
  return {tickmode: "array", tickvals: vals, ticktext: vals.map((i) => esc(labels[i]))};
}
// margins sized from the labels: plotly's automargin would lay each plot out twice
function room(labels) { return Math.min(170, 24 + 7 * labels.reduce((m, l) => Math.max(m, String(l).length), 1)); }
function base(fig, extra) {
  return Object.assign({margin: {l: 60, r: 20, t: 10, b: 50}, font: {size: 12}, paper_bgcolor: "#fff", plot_bgcolor: "#fff"}, extra || {});
}
const SEQUENTIAL = [[0, "#ffffff"], [1, "#3737ff"]];
const DIVERGING = [[0, "#3737ff"], [0.5, "#ffffff"], [1, "#ff3737"]];
function gridSize(nRows) { return Math.min(760, Math.max(280, 16 * nRows + 110)); }

function heatmap(fig) {
  const z = fig.values || [];
  const rows = (fig.rows && fig.rows.length) ? fig.rows : range(z.length).map(String);
  const nCols = z.reduce((m, r) => Math.max(m, r.length), 0);
  const cols = (fig.cols && fig.cols.length) ? fig.cols : range(nCols).map(String);
  const text = z.map((row, i) => row.map((v, j) => esc(rows[i]) + " \u2192 " + esc(cols[j]) + ": " + fmt(v)));
  const trace = {type: "heatmap", z: z, x: range(nCols), y: range(z.length), zmin: fig.vmin, zmax: fig.vmax,
    colorscale: fig.scale === "diverging" ? DIVERGING : SEQUENTIAL, text: text, hoverinfo: "text", hoverongaps: false};
  const layout = base(fig, {height: gridSize(z.length), margin: {l: room(rows) + (fig.y_label ? 20 : 0), r: 20, t: room(cols) + (fig.x_label ? 20 : 0), b: 20},
    xaxis: Object.assign(ticks(cols), {title: {text: esc(fig.x_label || "")}, side: "top", tickangle: cols.some((c) => String(c).length > 2) ? -90 : 0}),
    yaxis: Object.assign(ticks(rows), {title: {text: esc(fig.y_label || "")}, autorange: "reversed"})});
  if (!cols.some((c) => String(c).length > 2)) layout.margin.t = 40 + (fig.x_label ? 20 : 0);
  return [[trace], layout];
}
function headScores(fig) {
  const z = fig.values || [];
  const nCols = z.reduce((m, r) => Math.max(m, r.length), 0);
  const t = fig.threshold;
  const marked = (v) => t !== null && t !== undefined && v !== null && v >= t;
  const text = z.map((row) => row.map((v) => fmt(v) + (marked(v) ? " *" : "")));
  const rowName = fig.rows || "layer", colName = fig.cols || "head";
  const trace = {type: "heatmap", z: z, x: range(nCols), y: range(z.length), text: text, texttemplate: nCols * z.length <= 400 ? "%{text}" : "",
    hovertemplate: esc(rowName) + " %{y}, " + esc(colName) + " %{x}: %{text}<extra></extra>", colorscale: SEQUENTIAL, xgap: 1, ygap: 1};
  const layout = base(fig, {height: gridSize(z.length), margin: {l: 70, r: 20, t: 60, b: 30},
    xaxis: Object.assign(ticks(range(nCols).map(String)), {title: {text: esc(colName)}, side: "top"}),
    yaxis: Object.assign(ticks(range(z.length).map(String)), {title: {text: esc(rowName)}, autorange: "reversed"})});
  if (t !== null && t !== undefined) layout.annotations = [{text: "* at or above " + fmt(t), showarrow: false, xref: "paper", yref: "paper", x: 1, y: -0.08, xanchor: "right"}];
  return [[trace], layout];
}
function lines(fig) {
  const series = fig.series || {};
  const traces = Object.keys(series).map((name) => {
    const ys = series[name];
    const xs = (fig.x && fig.x.length) ? fig.x.slice(0, ys.length) : range(ys.length);
    return {type: "scatter", mode: ys.length <= 60 ? "lines+markers" : "lines", name: esc(name), x: xs, y: ys};
  });
  return [traces, base(fig, {height: 380, showlegend: traces.length > 1, legend: LEGEND,
    xaxis: {title: {text: esc(fig.x_label || "")}}, yaxis: {title: {text: esc(fig.y_label || "")}, type: fig.log_y ? "log" : "linear"}})];
}
function bars(fig) {
  const labels = fig.labels || [], values = fig.values || [];
  const trace = {type: "bar", x: range(values.length), y: values, hovertext: labels.map((l, i) => esc(l) + ": " + fmt(values[i])), hoverinfo: "text",
    marker: {color: values.map((v) => (v !== null && v < 0) ? "#ff3737" : "#3737ff")}};
  const long = labels.some((l) => String(l).length > 3);
  return [[trace], base(fig, {height: 380, margin: {l: 60, r: 20, t: 10, b: (long ? room(labels) : 30) + (fig.x_label ? 20 : 0)},
    xaxis: Object.assign(ticks(labels), {title: {text: esc(fig.x_label || "")}, tickangle: long ? -90 : 0}), yaxis: {title: {text: esc(fig.y_label || "")}}})];
}
function scatter(fig) {
  const series = fig.series || {};
  const traces = Object.keys(series).map((name) => {
    const s = series[name];
    const big = (s.x || []).length > 2000;
    const trace = {type: big ? "scattergl" : "scatter", mode: "markers", name: esc(name), x: s.x, y: s.y, marker: {size: big ? 4 : 7}};
    if (s.labels) { trace.text = s.labels.map(esc); trace.hovertemplate = "%{text}: (%{x}, %{y})<extra>" + esc(name) + "</extra>"; }
    return trace;
  });
  return [traces, base(fig, {height: 420, showlegend: traces.length > 1, legend: LEGEND,
    xaxis: {title: {text: esc(fig.x_label || "")}}, yaxis: {title: {text: esc(fig.y_label || "")}}})];
}
function board(fig) {
  const values = fig.values || [], marks = fig.marks || [];
  const nRows = Math.max(values.length, marks.length);
  const nCols = Math.max(0, ...values.map((r) => r.length), ...marks.map((r) => r.length));
  const rows = (fig.rows && fig.rows.length) ? fig.rows : range(nRows).map(String);
  const cols = (fig.cols && fig.cols.length) ? fig.cols : range(nCols).map(String);
  const hasValues = values.some((r) => r.some((v) => v !== null));
  const z = range(nRows).map((i) => range(nCols).map((j) => hasValues ? ((values[i] || [])[j] ?? null) : 0));
  const text = range(nRows).map((i) => range(nCols).map((j) => esc((marks[i] || [])[j] || "")));
  const hover = range(nRows).map((i) => range(nCols).map((j) => esc(rows[i]) + esc(cols[j]) + (hasValues ? ": " + fmt(z[i][j]) : "") + (text[i][j] ? " (" + text[i][j] + ")" : "")));
  const trace = {type: "heatmap", z: z, x: range(nCols), y: range(nRows), text: text, texttemplate: "%{text}", textfont: {size: 16},
    hovertext: hover, hoverinfo: "text", xgap: 2, ygap: 2, hoverongaps: false,
    colorscale: hasValues ? (fig.scale === "diverging" ? DIVERGING : SEQUENTIAL) : [[0, "#c8e1c8"], [1, "#c8e1c8"]],
    zmin: hasValues ? fig.vmin : 0, zmax: hasValues ? fig.vmax : 1, showscale: hasValues};
  const side = Math.min(640, Math.max(260, 44 * nRows + 90));
  return [[trace], base(fig, {height: side, margin: {l: room(rows), r: 20, t: 40, b: 20}, xaxis: Object.assign(ticks(cols), {side: "top", constrain: "domain"}),
    yaxis: Object.assign(ticks(rows), {autorange: "reversed", scaleanchor: "x", constrain: "domain"})})];
}
function rgb(v, vmin, vmax) {
  if (v === null || v === undefined) return "#d0d0d0";
  if (vmin < 0 && vmax > 0) {
    const s = v >= 0 ? Math.min(v / vmax, 1) : -Math.min(v / vmin, 1);
    const f = Math.round(255 - 200 * Math.abs(s));
    return s < 0 ? `rgb(${f},${f},255)` : `rgb(255,${f},${f})`;
  }
  const level = vmax > vmin ? Math.min(Math.max((v - vmin) / (vmax - vmin), 0), 1) : 0;
  const shade = Math.round(255 - 200 * level);
  return `rgb(${shade},${shade},255)`;
}
function dark(v, vmin, vmax) {
  if (v === null || v === undefined) return false;
  const bound = (vmin < 0 && vmax > 0) ? (v >= 0 ? vmax : vmin) : null;
  const level = bound !== null ? v / bound : (vmax > vmin ? (v - vmin) / (vmax - vmin) : 0);
  return level > 0.6;
}
function tokens(fig, box) {
  const div = document.createElement("div");
  div.className = "tokens";
  for (const seq of fig.sequences || []) {
    const line = document.createElement("div");
    line.className = "seq";
    if (seq.label) { const l = document.createElement("span"); l.className = "label"; l.textContent = seq.label; line.appendChild(l); }
    (seq.tokens || []).forEach((tok, i) => {
      const span = document.createElement("span");
      const v = (seq.values || [])[i];
      span.className = "tok" + (i === seq.highlight ? " hl" : "");
      span.textContent = tok.replace(/\n/g, "\u21b5");
      span.style.background = rgb(v, fig.vmin, fig.vmax);
      if (dark(v, fig.vmin, fig.vmax)) span.style.color = "#fff";
      span.title = fmt(v);
      line.appendChild(span);
    });
    div.appendChild(line);
  }
  box.appendChild(div);
}
const DRAW = {heatmap: heatmap, head_scores: headScores, lines: lines, bars: bars, scatter: scatter, board: board};

function figureBox(fig, index) {
  const box = document.createElement("section");
  box.className = "figure";
  box.dataset.kind = fig.kind;
  box.id = "figure-" + index;
  const h = document.createElement("h2");
  h.textContent = fig.title || fig.kind;
  box.appendChild(h);
  return box;
}
async function drawFigure(fig, box) {
  if (fig.kind === "tokens") { tokens(fig, box); }
  else if (DRAW[fig.kind]) {
    const plot = document.createElement("div");
    plot.className = "plot";
    box.appendChild(plot);
    const [traces, layout] = DRAW[fig.kind](fig);
    await Plotly.newPlot(plot, traces, layout, CONFIG);
  } else {
    const p = document.createElement("p"); p.className = "error"; p.textContent = "a figure of unknown kind " + JSON.stringify(fig.kind); box.appendChild(p);
  }
  if (fig.note) { const n = document.createElement("p"); n.className = "note"; n.textContent = fig.note; box.appendChild(n); }
}
async function render(data) {
  const title = document.getElementById("title"), badge = document.getElementById("badge"), where = document.getElementById("where");
  const verdict = document.getElementById("verdict"), figures = document.getElementById("figures");
  figures.style.minHeight = figures.offsetHeight + "px";  // keep the scroll position while redrawing
  for (const old of figures.querySelectorAll(".plot")) { try { Plotly.purge(old); } catch (e) {} }
  figures.textContent = "";
  if (!data) {
    title.textContent = "arena";
    badge.textContent = "waiting"; badge.className = "badge waiting";
    where.textContent = "";
    verdict.textContent = "No run yet in this workspace. Start `arena watch` (or `arena run`) here: this page updates by itself after every run.";
    document.body.dataset.seq = "0";
    return;
  }
  title.textContent = data.exercise;
  badge.textContent = data.status.toUpperCase(); badge.className = "badge " + data.status;
  where.textContent = [data.path, data.section, data.finished_at ? "run at " + data.finished_at : ""].filter(Boolean).join("  \u00b7  ");
  verdict.textContent = data.verdict || "";
  document.title = data.exercise + ": " + data.status + " (arena)";
  const figs = data.figures || [];
  if (!figs.length) { const p = document.createElement("p"); p.className = "empty"; p.textContent = "The checks of this exercise draw no figures."; figures.appendChild(p); }
  const boxes = figs.map((fig, i) => { const box = figureBox(fig, i); figures.appendChild(box); return box; });
  // one figure per task, so the page answers clicks and scrolls between two big ones
  for (let i = 0; i < figs.length; i++) {
    if (i) await new Promise((resolve) => setTimeout(resolve, 0));
    try { await drawFigure(figs[i], boxes[i]); }
    catch (error) { const p = document.createElement("p"); p.className = "error"; p.textContent = "this figure could not be drawn: " + error; boxes[i].appendChild(p); }
  }
  figures.style.minHeight = "";
}
window.arenaRender = async function (data, seq) {
  const started = performance.now();
  await render(data);
  window.arenaRenderMs = performance.now() - started;
  document.body.dataset.seq = String(seq);
  window.arenaRendered = seq;
};
const live = document.body.dataset.live === "1";
const embedded = JSON.parse(document.getElementById("arena-data").textContent);
let seq = 0;
if (!live) { window.arenaRender(embedded, ++seq); return; }
let etag = null, busy = false;
const status = document.getElementById("live");
async function poll() {
  if (busy) return;
  busy = true;
  try {
    const headers = etag ? {"If-None-Match": etag} : {};
    const response = await fetch("/latest.json", {cache: "no-store", headers: headers});
    status.className = "";
    if (response.status === 304) return;
    if (response.status === 204) {
      if (etag !== "none") { etag = "none"; await window.arenaRender(null, ++seq); }
      status.textContent = "live: waiting for the first run";
      return;
    }
    if (!response.ok) throw new Error("HTTP " + response.status);
    const data = await response.json();
    etag = response.headers.get("ETag");
    await window.arenaRender(data, ++seq);
    status.textContent = "live: updates after every run";
  } catch (error) {
    status.textContent = "arena view has stopped (run `arena view` again)";
    status.className = "stale";
  } finally { busy = false; }
}
poll();
setInterval(poll, 700);
})();
"""


def page_html(payload: dict[str, Any] | None, *, plotly_src: str | None = None, live: bool = False) -> str:
    """The page for one run (`payload` from `arena_cli.live.result_payload`; None: no run yet).

    `plotly_src=None` inlines plotly's bundle (a self-contained file); otherwise the page loads
    it from that (same-origin) path. `live=True` makes the page poll `/latest.json`."""
    if plotly_src is None:
        plotly_tag = "<script>" + plotly_js() + "</script>"
    else:
        plotly_tag = f'<script src="{html.escape(plotly_src)}"></script>'
    name = html.escape(payload["exercise"]) if payload else "arena"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{name} (arena)</title><style>{STYLE}</style>"
        f"{plotly_tag}</head>\n"
        f"<body data-live=\"{1 if live else 0}\" data-seq=\"\">"
        "<header><h1 id=\"title\"></h1><span id=\"badge\" class=\"badge\"></span><span id=\"where\" class=\"where\"></span>"
        f"<span id=\"live\">{'live: connecting' if live else ''}</span></header>"
        "<main><pre id=\"verdict\" class=\"verdict\"></pre><div id=\"figures\"></div></main>\n"
        f"<script id=\"arena-data\" type=\"application/json\">{_json_for_script(payload)}</script>\n"
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def write_page(path: Path, payload: dict[str, Any]) -> Path:
    path.write_text(page_html(payload), encoding="utf-8")
    return path
