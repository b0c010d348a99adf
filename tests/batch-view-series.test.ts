/**
 * The batch chart's data (viewer, pure): conditions aligned on the union of generations, one CI
 * band each.
 */
import { describe, expect, it } from "vitest";
import { batchChartData } from "../viewer/src/components/batch/batchSeries.js";

describe("batchChartData", () => {
  it("aligns conditions on the union of generations with gaps, and bands each mean's CI edges", () => {
    const { data, series, bands } = batchChartData([
      {
        condition: "a",
        generation: [1, 2, 3],
        n: [2, 2, 2],
        mean: [1, 2, 3],
        ciLow: [0.5, 1.5, 2.5],
        ciHigh: [1.5, 2.5, 3.5],
      },
      {
        condition: "b",
        generation: [2, 4],
        n: [1, 1],
        mean: [5, 6],
        ciLow: [null, null],
        ciHigh: [null, null],
      },
    ]);
    expect(data).toEqual([
      [1, 2, 3, 4],
      [1, 2, 3, null],
      [0.5, 1.5, 2.5, null],
      [1.5, 2.5, 3.5, null],
      [null, 5, null, 6],
      [null, null, null, null],
      [null, null, null, null],
    ]);
    expect(series.map((s) => s.label)).toEqual([
      "a",
      "a CI low",
      "a CI high",
      "b",
      "b CI low",
      "b CI high",
    ]);
    expect(series[1]).toMatchObject({ width: 0, points: false, color: series[0]!.color });
    expect(series[3]!.color).not.toBe(series[0]!.color);
    // uPlot indexes count the x column: a's high and low are 3 and 2, b's 6 and 5.
    expect(bands.map((b) => b.series)).toEqual([
      [3, 2],
      [6, 5],
    ]);
    expect(bands[0]!.fill).toMatch(/^rgba\(\d+, \d+, \d+, 0\.18\)$/);
  });
});
