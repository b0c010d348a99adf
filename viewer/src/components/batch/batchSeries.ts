/**
 * The batch chart's data (pure, node-testable): per condition a mean line and two invisible edges
 * of its CI band, on the union of the conditions' generations (a condition without a value at a
 * generation gets a gap there).
 */
import type uPlot from "uplot";
import type { BatchSeries } from "../../../../sim/app/server/batch-protocol.js";
import { PALETTE } from "../../colors.js";
import type { Aligned } from "../../state/selectors.js";

export const conditionColor = (index: number): string => PALETTE[index % PALETTE.length]!;

/** "#4e79a7" → "rgba(78, 121, 167, 0.18)". */
function translucent(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** A UPlotChart series (kept structural: node tests import this file without JSX). */
export interface BatchChartSeries {
  label: string;
  color: string;
  width?: number;
  points?: boolean;
}

export interface BatchChartData {
  data: Aligned;
  series: BatchChartSeries[];
  bands: uPlot.Band[];
}

export function batchChartData(all: readonly BatchSeries[]): BatchChartData {
  const x = [...new Set(all.flatMap((s) => s.generation))].sort((a, b) => a - b);
  const data: Aligned = [x];
  const series: BatchChartSeries[] = [];
  const bands: uPlot.Band[] = [];
  all.forEach((s, i) => {
    const at = new Map(s.generation.map((g, k) => [g, k]));
    const column = (values: (number | null)[]) =>
      x.map((g) => (at.has(g) ? (values[at.get(g)!] ?? null) : null));
    const color = conditionColor(i);
    // uPlot series indexes count the x column: this condition's mean, low and high are 3i+1..3i+3.
    data.push(column(s.mean), column(s.ciLow), column(s.ciHigh));
    series.push(
      { label: s.condition, color },
      { label: `${s.condition} CI low`, color, width: 0, points: false },
      { label: `${s.condition} CI high`, color, width: 0, points: false },
    );
    bands.push({ series: [3 * i + 3, 3 * i + 2], fill: translucent(color, 0.18) });
  });
  return { data, series, bands };
}
