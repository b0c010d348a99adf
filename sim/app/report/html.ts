/**
 * The self-contained report.html: a table of contents, methods (what ran, with what), per metric
 * that varies the summary and comparison tables and both plots inlined as SVG, the constant
 * metrics in one line each, and the runs with their status. Inline CSS, no
 * scripts, no external references.
 */
import { stringify as yamlStringify } from "yaml";
import type { Analysis } from "./analyse.js";
import type { Methods } from "./methods.js";
import { BOOTSTRAP_RESAMPLES, CONFIDENCE, PERMUTATIONS } from "./stats.js";
import { escapeXml as esc, plotFileStem } from "./svg.js";

/** 4 significant digits, thousands left whole; "–" for none. */
export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (Math.abs(v) >= 1000) return v.toFixed(0);
  return String(+v.toPrecision(4));
}

export const fmtP = (p: number | null): string =>
  p === null ? "–" : p < 0.001 ? "< 0.001" : p.toFixed(3);

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 70em; margin: 2em auto; padding: 0 1em; color: #1d232b; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #dde1e6; padding-bottom: 0.2em; } h3 { margin-bottom: 0.3em; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.92em; }
th, td { border: 1px solid #dde1e6; padding: 0.25em 0.6em; text-align: right; } th { background: #f4f6f8; }
td.text, th.text { text-align: left; } th, td:not(.text) { white-space: nowrap; }
.muted { color: #68717d; } .bad { color: #b42318; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; } .plots svg { max-width: 100%; height: auto; border: 1px solid #eef0f3; }
pre { background: #f6f8fa; padding: 0.8em; overflow: auto; font-size: 0.85em; max-height: 30em; }
nav ol.metrics { columns: 16em; margin: 0.3em 0 0.5em; } .note { background: #fff8e6; border-left: 4px solid #e3a008; padding: 0.5em 0.8em; }
ul.constant { columns: 26em; } ul.constant li { break-inside: avoid; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1em; } dt { font-weight: 600; } dd { margin: 0; }
`;

const table = (head: string[], rows: string[][], textColumns = 1): string =>
  `<table><thead><tr>${head.map((h, i) => `<th${i < textColumns ? ' class="text"' : ""}>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td${i < textColumns ? ' class="text"' : ""}>${c}</td>`).join("")}</tr>`,
    )
    .join("")}</tbody></table>`;

/** An SVG file's text for inlining in HTML (the namespace attribute is implied there). */
const inline = (svg: string) => svg.replace(/ xmlns="[^"]*"/, "");

function methodsSection(m: Methods, a: Analysis): string {
  const level = Math.round(CONFIDENCE * 100);
  const minds = Object.entries(m.minds).map(([condition, list]) =>
    list.map((mind) => [
      esc(condition),
      esc(mind.kind === "llm" ? "LLM" : "policy (offline program, not an LLM)"),
      esc(mind.name),
      esc(mind.model ?? "–"),
      esc(mind.endpoint ?? "–"),
      String(mind.count),
    ]),
  );
  const grid = Object.entries(m.grid);
  return `<h2 id="methods">Methods</h2>
<dl>
<dt>batch</dt><dd>${esc(m.batchId)}</dd>
<dt>config</dt><dd>${esc(m.configPath ?? "–")}</dd>
<dt>scenario</dt><dd>${esc(m.scenario ?? "–")}</dd>
<dt>generations</dt><dd>${m.generations ?? "–"}</dd>
<dt>population</dt><dd>${m.populationSize ?? "–"} agents</dd>
<dt>software</dt><dd>Agora ${esc(m.agoraVersion ?? "?")}${m.gitCommit ? ` (commit ${esc(m.gitCommit.slice(0, 12))})` : ""}, Node.js ${esc(m.node ?? "?")}</dd>
<dt>seeds</dt><dd>${m.seeds.length} (${esc(seedList(m.seeds))})</dd>
<dt>grid</dt><dd>${grid.length === 0 ? "none (one condition: baseline)" : grid.map(([k, vs]) => `<code>${esc(k)}</code> ∈ {${vs.map(esc).join(", ")}}`).join("; ")}</dd>
<dt>conditions</dt><dd>${a.conditions.map(esc).join("; ")} (reference: ${esc(a.reference)})</dd>
<dt>runs counted</dt><dd>${a.included.length} completed of ${a.included.length + a.excluded.length}</dd>
</dl>
<h3 id="minds">Minds</h3>
${table(["condition", "kind", "name", "model", "endpoint", "count"], minds.flat(), 5)}
<h3 id="statistics">Statistics</h3>
<p>Each run's <em>final value</em> of a metric is the runs table's <code>final_&lt;metric&gt;</code> (the value at its last
recorded generation). Only completed runs count: failed, interrupted and budget-capped runs stopped early. Per condition:
n, mean, sample standard deviation (n − 1) and three ${level}% confidence intervals of the mean:</p>
<ul>
<li><strong>percentile</strong> bootstrap: the ${(100 - level) / 2}% and ${100 - (100 - level) / 2}% quantiles of ${BOOTSTRAP_RESAMPLES} resampled means
(n values drawn with replacement);</li>
<li><strong>BCa</strong> bootstrap (bias-corrected and accelerated): the same resampled means, read at levels shifted by their
bias (the share below the mean) and a jackknife acceleration (skew); better than the percentile interval for skewed
values;</li>
<li><strong>t</strong>: mean ± t<sub>n−1</sub> × sd / √n (Student t quantile): exact when the final values are normally
distributed, at any n ≥ 2.</li>
</ul>
<p><strong>With few seeds both bootstrap intervals are too narrow</strong>: they treat the n values as the whole population
(spread with divisor n, not n − 1, and normal rather than t tails), and there are few distinct resamples (35 for n = 4).
In simulations with normal values they cover the mean about 80% of the time at n = 4 and 90% at n = 10 instead of
${level}%, while the t interval stays at ${level}%. Below ${FEW_SEEDS} completed runs per condition, read the t interval.</p>
<p>Each condition is compared with the reference by the difference of means (condition − reference) and:</p>
<ul>
<li>its <strong>percentile</strong> bootstrap ${level}% interval (each group resampled on its own, ${BOOTSTRAP_RESAMPLES} resamples);</li>
<li>its <strong>Welch t</strong> ${level}% interval (unequal variances, Welch–Satterthwaite degrees of freedom);</li>
<li>the effect size <strong>Hedges' g</strong>: the difference over the pooled standard deviation, times the small-sample
correction Γ(ν/2) / (√(ν/2) Γ((ν−1)/2)), ν = n<sub>1</sub> + n<sub>2</sub> − 2 (Cohen's d overstates effects at few seeds);
about 0.2 is small, 0.5 medium, 0.8 large;</li>
<li><strong>p</strong>: a two-sided permutation test of no difference (${PERMUTATIONS} random relabellings of the pooled values;
p = (k + 1) / (${PERMUTATIONS} + 1), k the relabellings with an absolute difference at least the observed one).</li>
</ul>
<p>Ribbons over generations and the intervals in the plots are the percentile bootstrap. All resampling is seeded (report
seed ${a.seed}), so the report is reproducible. No correction for multiple comparisons is applied. A metric with one
value in every completed run and generation gets one line under constant metrics instead of tables and plots.</p>
${m.config ? `<h3 id="config">Resolved config (first run; endpoints as host and path)</h3>\n<pre>${esc(yamlStringify(m.config))}</pre>` : ""}`;
}

/** "0..31" for a contiguous range, else the list. */
export function seedList(seeds: number[]): string {
  const sorted = [...seeds].sort((a, b) => a - b);
  if (sorted.length > 2 && sorted.every((s, i) => i === 0 || s === sorted[i - 1]! + 1))
    return `${sorted[0]}..${sorted.at(-1)}`;
  return sorted.join(", ");
}

export interface MetricPlots {
  generations: string;
  finals: string;
}

/**
 * Below this many completed runs per condition the report warns that the bootstrap intervals are
 * too narrow (simulated coverage of a nominal 95%: about 80% at n = 4, 90% at 10, 93% at 20).
 */
export const FEW_SEEDS = 20;

/** Unique HTML ids (and #fragments that need no escaping) for the metrics' sections. */
function metricAnchors(metrics: readonly string[]): Map<string, string> {
  const anchors = new Map<string, string>();
  const used = new Set<string>();
  for (const metric of metrics) {
    const base = `metric-${plotFileStem(metric)}`;
    let id = base;
    for (let k = 2; used.has(id); k++) id = `${base}-${k}`;
    used.add(id);
    anchors.set(metric, id);
  }
  return anchors;
}

const interval = (lo: number | null, hi: number | null): string =>
  lo === null || hi === null ? "–" : `[${fmt(lo)}, ${fmt(hi)}]`;

export function reportHtml(m: Methods, a: Analysis, plots: Record<string, MetricPlots>): string {
  const level = Math.round(CONFIDENCE * 100);
  const anchors = metricAnchors(a.metrics);
  const link = (metric: string) => `<a href="#${anchors.get(metric)!}">${esc(metric)}</a>`;
  const constant = new Set(a.constant.map((c) => c.metric));
  const varying = a.metrics.filter((metric) => !constant.has(metric));
  const sections = varying.map((metric) => {
    const summary = a.summary
      .filter((r) => r.metric === metric)
      .map((r) => [
        esc(r.condition),
        String(r.n),
        fmt(r.mean),
        fmt(r.sd),
        interval(r.ci_low, r.ci_high),
        interval(r.bca_low, r.bca_high),
        interval(r.t_low, r.t_high),
      ]);
    const comparisons = a.comparisons
      .filter((r) => r.metric === metric)
      .map((r) => [
        esc(`${r.condition} − ${r.reference}`),
        `${r.n_condition} / ${r.n_reference}`,
        fmt(r.diff),
        interval(r.ci_low, r.ci_high),
        interval(r.t_low, r.t_high),
        fmt(r.hedges_g),
        fmtP(r.p),
      ]);
    const p = plots[metric]!;
    return `<section class="metric" id="${anchors.get(metric)!}" data-metric="${esc(metric)}">
<h2>${esc(metric)}</h2>
<h3>Final values</h3>
${table(["condition", "n", "mean", "sd", `percentile ${level}% CI`, `BCa ${level}% CI`, `t ${level}% CI`], summary)}
${comparisons.length > 0 ? `<h3>Difference from ${esc(a.reference)}</h3>\n${table(["comparison", "n", "difference", `percentile ${level}% CI`, `Welch t ${level}% CI`, "Hedges' g", "p"], comparisons)}` : ""}
<div class="plots">${inline(p.generations)}${inline(p.finals)}</div>
</section>`;
  });
  const constantSection =
    a.constant.length === 0
      ? ""
      : `<section id="constant-metrics">
<h2>Constant metrics</h2>
<p class="muted">One value in every completed run and generation, so no tables or plots; their rows are in the CSVs.</p>
<ul class="constant">
${a.constant
  .map(
    (c) =>
      `<li id="${anchors.get(c.metric)!}" data-metric="${esc(c.metric)}"><code>${esc(c.metric)}</code>: ${c.value === null ? "no value in any completed run" : `${fmt(c.value)} in every completed run and generation`}</li>`,
  )
  .join("\n")}
</ul>
</section>`;
  const runs = [...a.included, ...a.excluded]
    .sort((x, y) => String(x.run).localeCompare(String(y.run)))
    .map((r) => [
      esc(String(r.run)),
      esc(String(r.condition)),
      String(r.seed ?? "–"),
      r.status === "completed" ? "completed" : `<span class="bad">${esc(String(r.status))}</span>`,
      String(r.generations ?? "–"),
      esc(String(r.error ?? "")),
    ]);
  // The smallest number of completed runs behind a condition's interval.
  const fewest = Math.min(
    ...a.conditions.map((c) => a.included.filter((r) => String(r.condition) === c).length),
  );
  const fewSeeds =
    varying.length > 0 && fewest < FEW_SEEDS
      ? `<p class="note" id="few-seeds"><strong>Few seeds:</strong> as few as ${fewest} completed run(s) per condition. The bootstrap
intervals (percentile and BCa) are too narrow at this size; read the t intervals (see <a href="#statistics">Statistics</a>).</p>`
      : "";
  const contents = [
    `<li><a href="#methods">Methods</a>: <a href="#minds">minds</a>, <a href="#statistics">statistics</a>${m.config ? `, <a href="#config">resolved config</a>` : ""}</li>`,
    varying.length > 0
      ? `<li>Metrics (${varying.length})<ol class="metrics">${varying.map((metric) => `<li>${link(metric)}</li>`).join("")}</ol></li>`
      : "",
    a.constant.length > 0
      ? `<li><a href="#constant-metrics">Constant metrics</a> (${a.constant.length}): ${a.constant.map((c) => link(c.metric)).join(", ")}</li>`
      : "",
    `<li><a href="#runs">Runs</a> (${a.included.length + a.excluded.length}${a.excluded.length > 0 ? `, ${a.excluded.length} not completed` : ""})</li>`,
  ].filter((item) => item !== "");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Agora batch report: ${esc(m.batchId)}</title>
<style>${CSS}</style></head>
<body>
<h1>Batch report: ${esc(m.batchId)}</h1>
<p class="muted">${esc(m.scenario ?? "")} · ${a.conditions.length} condition(s) × ${m.seeds.length} seed(s) · ${a.metrics.length} metric(s) · generated by Agora ${esc(m.agoraVersion ?? "")}</p>
<nav id="contents" aria-label="Contents">
<h2>Contents</h2>
<ol>
${contents.join("\n")}
</ol>
</nav>
${fewSeeds}
${methodsSection(m, a)}
${sections.join("\n")}
${constantSection}
<h2 id="runs">Runs</h2>
${table(["run", "condition", "seed", "status", "generations", "error"], runs, 2)}
</body></html>
`;
}
