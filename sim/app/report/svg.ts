/**
 * The report's plots as standalone SVG strings (no DOM): a metric over generations per condition
 * (mean line, CI ribbon, thin per-seed lines) and the distribution of final values per condition
 * (box plot with the seeds as jittered points and the mean with its CI). Scales and paths come from
 * d3-scale and d3-shape.
 */
import { scaleBand, scaleLinear } from "d3-scale";
import { area, line } from "d3-shape";
import { PALETTE } from "../../../viewer/src/colors.js";
import type { Rng } from "../../core/rng.js";
import { quantile } from "./stats.js";

const WIDTH = 640;
const HEIGHT = 320;
const MARGIN = { top: 34, right: 16, bottom: 44, left: 64 };
const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', sans-serif"`;

/** A metric name as a file name (and an HTML anchor): A-Z a-z 0-9 . _ - kept, the rest `_`. */
export const plotFileStem = (metric: string): string => metric.replace(/[^A-Za-z0-9._-]/g, "_");

export const conditionColor = (index: number): string => PALETTE[index % PALETTE.length]!;

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** Short tick labels: 1.5k, 0.25, 12. */
export function formatNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  if (Number.isInteger(v)) return String(v);
  return String(+v.toPrecision(3));
}

function frame(title: string, body: string[], xLabel: string, yLabel: string): string {
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeXml(title)}" ${FONT} font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="18" font-size="13" font-weight="600">${escapeXml(title)}</text>`,
    ...body,
    `<text x="${MARGIN.left + (WIDTH - MARGIN.left - MARGIN.right) / 2}" y="${HEIGHT - 8}" text-anchor="middle" fill="#444">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#444">${escapeXml(yLabel)}</text>`,
    `</svg>`,
  ].join("\n");
}

function yAxis(y: ReturnType<typeof scaleLinear<number, number>>): string[] {
  const x0 = MARGIN.left;
  const x1 = WIDTH - MARGIN.right;
  return y
    .ticks(6)
    .flatMap((t) => [
      `<line x1="${x0}" x2="${x1}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e6e8eb"/>`,
      `<text x="${x0 - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" fill="#555">${formatNumber(t)}</text>`,
    ]);
}

function legend(labels: string[]): string[] {
  let x = MARGIN.left;
  return labels.flatMap((label, i) => {
    const at = x;
    x += 22 + Math.min(label.length, 40) * 6.2 + 14;
    return [
      `<rect x="${at}" y="${MARGIN.top - 12}" width="12" height="8" fill="${conditionColor(i)}"/>`,
      `<text x="${at + 16}" y="${MARGIN.top - 4}" fill="#333">${escapeXml(label.length > 40 ? `${label.slice(0, 39)}…` : label)}</text>`,
    ];
  });
}

function yScale(values: number[]) {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = lo === hi ? Math.max(1, Math.abs(lo) * 0.1) : 0;
  return scaleLinear()
    .domain([lo - pad, hi + pad])
    .nice()
    .range([HEIGHT - MARGIN.bottom, MARGIN.top + 8]);
}

export interface GenerationSeries {
  condition: string;
  /** Per generation: mean and CI bounds (null where there are fewer than two runs). */
  points: {
    generation: number;
    mean: number | null;
    ciLow: number | null;
    ciHigh: number | null;
  }[];
  /** One line per seed. */
  runs: [number, number][][];
}

/** Metric over generations: per condition a CI ribbon, thin per-seed lines and the mean line. */
export function generationsSvg(title: string, yLabel: string, series: GenerationSeries[]): string {
  const all = series.flatMap((s) => [
    ...s.runs.flat().map(([, v]) => v),
    ...s.points.flatMap((p) => [p.mean, p.ciLow, p.ciHigh]).filter((v): v is number => v !== null),
  ]);
  const gens = series.flatMap((s) => [
    ...s.points.map((p) => p.generation),
    ...s.runs.flat().map(([g]) => g),
  ]);
  if (all.length === 0 || gens.length === 0)
    return frame(
      title,
      [
        `<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" fill="#777">no values</text>`,
      ],
      "generation",
      yLabel,
    );
  const gMin = Math.min(...gens);
  const gMax = Math.max(...gens);
  const x = scaleLinear()
    .domain(gMin === gMax ? [gMin - 1, gMax + 1] : [gMin, gMax])
    .range([MARGIN.left, WIDTH - MARGIN.right]);
  const y = yScale(all);
  const body = [...yAxis(y)];
  for (const t of x.ticks(Math.min(10, gMax - gMin + 1)).filter(Number.isInteger)) {
    body.push(
      `<text x="${x(t).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" fill="#555">${t}</text>`,
    );
  }
  body.push(
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${HEIGHT - MARGIN.bottom}" y2="${HEIGHT - MARGIN.bottom}" stroke="#999"/>`,
  );
  const ribbon = area<GenerationSeries["points"][number]>()
    .defined((p) => p.ciLow !== null && p.ciHigh !== null)
    .x((p) => x(p.generation))
    .y0((p) => y(p.ciLow!))
    .y1((p) => y(p.ciHigh!))
    .digits(1);
  const meanLine = line<GenerationSeries["points"][number]>()
    .defined((p) => p.mean !== null)
    .x((p) => x(p.generation))
    .y((p) => y(p.mean!))
    .digits(1);
  const runLine = line<[number, number]>()
    .x(([g]) => x(g))
    .y(([, v]) => y(v))
    .digits(1);
  series.forEach((s, i) => {
    const color = conditionColor(i);
    const cls = `condition-${i}`;
    body.push(`<g class="${cls}" data-condition="${escapeXml(s.condition)}">`);
    const r = ribbon(s.points);
    if (r)
      body.push(`<path class="ci" d="${r}" fill="${color}" fill-opacity="0.18" stroke="none"/>`);
    for (const run of s.runs) {
      const d = run.length > 1 ? runLine(run) : null;
      if (d)
        body.push(
          `<path class="seed" d="${d}" fill="none" stroke="${color}" stroke-opacity="0.35" stroke-width="0.8"/>`,
        );
    }
    const m = meanLine(s.points);
    if (m)
      body.push(`<path class="mean" d="${m}" fill="none" stroke="${color}" stroke-width="2.2"/>`);
    body.push(`</g>`);
  });
  body.push(...legend(series.map((s) => s.condition)));
  return frame(title, body, "generation", yLabel);
}

export interface FinalValues {
  condition: string;
  values: number[];
  mean: number | null;
  ciLow: number | null;
  ciHigh: number | null;
}

/** Final values per condition: box (quartiles, whiskers to min/max), seeds as points, mean ± CI. */
export function finalsSvg(
  title: string,
  yLabel: string,
  groups: FinalValues[],
  jitter: Rng,
): string {
  const all = groups.flatMap((g) => [
    ...g.values,
    ...[g.ciLow, g.ciHigh].filter((v): v is number => v !== null),
  ]);
  if (all.length === 0)
    return frame(
      title,
      [
        `<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" fill="#777">no values</text>`,
      ],
      "condition",
      yLabel,
    );
  const x = scaleBand<string>()
    .domain(groups.map((g) => g.condition))
    .range([MARGIN.left, WIDTH - MARGIN.right])
    .padding(0.3);
  const y = yScale(all);
  const body = [...yAxis(y)];
  const bw = x.bandwidth();
  groups.forEach((g, i) => {
    const color = conditionColor(i);
    const left = x(g.condition)!;
    const mid = left + bw / 2;
    const label = g.condition.length > 34 ? `${g.condition.slice(0, 33)}…` : g.condition;
    body.push(
      `<text x="${mid.toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" fill="#555">${escapeXml(label)}</text>`,
    );
    body.push(
      `<g class="condition-${i}" data-condition="${escapeXml(g.condition)}" data-n="${g.values.length}">`,
    );
    if (g.values.length > 0) {
      const sorted = [...g.values].sort((a, b) => a - b);
      const [q1, med, q3] = [0.25, 0.5, 0.75].map((q) => y(quantile(sorted, q)));
      const [lo, hi] = [y(sorted[0]!), y(sorted.at(-1)!)];
      const boxL = left + bw * 0.2;
      const boxW = bw * 0.6;
      body.push(
        `<line class="whisker" x1="${mid.toFixed(1)}" x2="${mid.toFixed(1)}" y1="${lo.toFixed(1)}" y2="${q1!.toFixed(1)}" stroke="${color}"/>`,
        `<line class="whisker" x1="${mid.toFixed(1)}" x2="${mid.toFixed(1)}" y1="${q3!.toFixed(1)}" y2="${hi.toFixed(1)}" stroke="${color}"/>`,
        `<rect class="box" x="${boxL.toFixed(1)}" y="${q3!.toFixed(1)}" width="${boxW.toFixed(1)}" height="${Math.max(0.5, q1! - q3!).toFixed(1)}" fill="${color}" fill-opacity="0.15" stroke="${color}"/>`,
        `<line class="median" x1="${boxL.toFixed(1)}" x2="${(boxL + boxW).toFixed(1)}" y1="${med!.toFixed(1)}" y2="${med!.toFixed(1)}" stroke="${color}" stroke-width="2"/>`,
      );
      for (const v of g.values) {
        const jx = mid + (jitter.float() - 0.5) * bw * 0.5;
        body.push(
          `<circle class="seed" cx="${jx.toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.6" fill="${color}" fill-opacity="0.7"/>`,
        );
      }
    }
    if (g.mean !== null) {
      const mx = left + bw * 0.92;
      if (g.ciLow !== null && g.ciHigh !== null)
        body.push(
          `<line class="ci" x1="${mx.toFixed(1)}" x2="${mx.toFixed(1)}" y1="${y(g.ciLow).toFixed(1)}" y2="${y(g.ciHigh).toFixed(1)}" stroke="#222" stroke-width="1.5"/>`,
        );
      body.push(
        `<rect class="mean" x="${(mx - 3).toFixed(1)}" y="${(y(g.mean) - 3).toFixed(1)}" width="6" height="6" fill="#222"/>`,
      );
    }
    body.push(`</g>`);
  });
  return frame(
    title,
    body,
    "condition (box: quartiles and range; dots: seeds; black: mean and 95% CI)",
    yLabel,
  );
}
