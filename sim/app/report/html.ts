/**
 * The self-contained report.html: methods (what ran, with what), per metric the summary and
 * comparison tables and both plots inlined as SVG, and the runs with their status. Inline CSS, no
 * scripts, no external references.
 */
import { stringify as yamlStringify } from "yaml";
import type { Analysis } from "./analyse.js";
import type { Methods } from "./methods.js";
import { BOOTSTRAP_RESAMPLES, CONFIDENCE, PERMUTATIONS } from "./stats.js";
import { escapeXml as esc } from "./svg.js";

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
td.text, th.text { text-align: left; }
.muted { color: #68717d; } .bad { color: #b42318; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; } .plots svg { max-width: 100%; height: auto; border: 1px solid #eef0f3; }
pre { background: #f6f8fa; padding: 0.8em; overflow: auto; font-size: 0.85em; max-height: 30em; }
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
  return `<h2>Methods</h2>
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
<h3>Minds</h3>
${table(["condition", "kind", "name", "model", "endpoint", "count"], minds.flat(), 5)}
<h3>Statistics</h3>
<p>Each run's <em>final value</em> of a metric is the runs table's <code>final_&lt;metric&gt;</code> (the value at its last
recorded generation). Only completed runs count: failed, interrupted and budget-capped runs stopped early. Per condition:
n, mean, sample standard deviation (n − 1) and a ${level}% confidence interval of the mean by the percentile bootstrap
(${BOOTSTRAP_RESAMPLES} resamples with replacement). Comparisons: the difference of means (condition − reference) with a
percentile-bootstrap ${level}% interval (each group resampled on its own, ${BOOTSTRAP_RESAMPLES} resamples) and a two-sided
permutation test of no difference (${PERMUTATIONS} random relabellings of the pooled values; p = (k + 1) / (${PERMUTATIONS} + 1),
k the relabellings with an absolute difference at least the observed one). Ribbons over generations are the same
bootstrap interval per generation. All resampling is seeded (report seed ${a.seed}), so the report is reproducible.
No correction for multiple comparisons is applied.</p>
${m.config ? `<h3>Resolved config (first run; endpoints as host and path)</h3>\n<pre>${esc(yamlStringify(m.config))}</pre>` : ""}`;
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

export function reportHtml(m: Methods, a: Analysis, plots: Record<string, MetricPlots>): string {
  const level = Math.round(CONFIDENCE * 100);
  const sections = a.metrics.map((metric) => {
    const summary = a.summary
      .filter((r) => r.metric === metric)
      .map((r) => [
        esc(r.condition),
        String(r.n),
        fmt(r.mean),
        fmt(r.sd),
        r.ci_low === null ? "–" : `[${fmt(r.ci_low)}, ${fmt(r.ci_high)}]`,
      ]);
    const comparisons = a.comparisons
      .filter((r) => r.metric === metric)
      .map((r) => [
        esc(`${r.condition} − ${r.reference}`),
        `${r.n_condition} / ${r.n_reference}`,
        fmt(r.diff),
        r.ci_low === null ? "–" : `[${fmt(r.ci_low)}, ${fmt(r.ci_high)}]`,
        fmtP(r.p),
      ]);
    const p = plots[metric]!;
    return `<section class="metric" id="metric-${esc(metric)}" data-metric="${esc(metric)}">
<h2>${esc(metric)}</h2>
<h3>Final values</h3>
${table(["condition", "n", "mean", "sd", `${level}% CI`], summary)}
${comparisons.length > 0 ? `<h3>Difference from ${esc(a.reference)}</h3>\n${table(["comparison", "n", "difference", `${level}% CI`, "p"], comparisons)}` : ""}
<div class="plots">${inline(p.generations)}${inline(p.finals)}</div>
</section>`;
  });
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
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Agora batch report: ${esc(m.batchId)}</title>
<style>${CSS}</style></head>
<body>
<h1>Batch report: ${esc(m.batchId)}</h1>
<p class="muted">${esc(m.scenario ?? "")} · ${a.conditions.length} condition(s) × ${m.seeds.length} seed(s) · ${a.metrics.length} metric(s) · generated by Agora ${esc(m.agoraVersion ?? "")}</p>
${methodsSection(m, a)}
${sections.join("\n")}
<h2>Runs</h2>
${table(["run", "condition", "seed", "status", "generations", "error"], runs, 2)}
</body></html>
`;
}
