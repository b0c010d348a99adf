/**
 * The batch page end to end in Debian's headless Chromium: a batch of four policy-mind runs served
 * with serveBatch() while it runs (each run live, paced), the page listing every run with its
 * status and generation, the per-condition chart filling as generations end, a click-through into a
 * running run's live view and back, and the finished batch. Screenshots:
 * tests/artifacts/viewer-batch-*.png.
 * Fails (never skips) without /usr/bin/chromium.
 */
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { emptyTotals } from "../sim/core/spend.js";
import { newBatchFile, writeBatchFile } from "../sim/app/batch/batch-file.js";
import { prepareBatch, type BatchPlan } from "../sim/app/batch/runner.js";
import { runOne } from "../sim/app/batch/run-one.js";
import { createSharedResources } from "../sim/app/batch/shared.js";
import type { RunHandle } from "../sim/app/run.js";
import { serveBatch, type LiveBatch } from "../sim/app/server/batch-live.js";
import type { LiveRun } from "../sim/app/server/live-run.js";
import { chromiumSuite, snap } from "./support/browser.js";
import { tempDir, writeConfig } from "./support/llm-helpers.js";

const GENERATIONS = 4;
const tmp = tempDir("batch-view-e2e");
const dir = join(tmp.path, "batch");
const { start, e2e } = chromiumSuite();
let browser: Browser | undefined;
let page: Page;
let batch: LiveBatch;
let plan: BatchPlan;
const lives: LiveRun[] = [];
let runs: Promise<unknown> = Promise.resolve();
const pageErrors: string[] = [];

describe.sequential("the batch page in Chromium", () => {
  beforeAll(async () => {
    browser = await start();
    if (!browser) return;
    const config = writeConfig(join(tmp.path, "configs"), "policy.yaml", {
      scenario: "donor-game",
      generations: GENERATIONS,
      population: {
        size: 12,
        minds: [
          { count: 4, policy: "tit-for-tat" },
          { count: 4, policy: "constant", fraction: 0.5 },
          { count: 4, policy: "random" },
        ],
      },
      cache: { dir: join(tmp.path, "cache") },
    });
    plan = prepareBatch({
      configPath: config,
      seeds: "0..1",
      grid: [["donorGame.punishment", ["none", "costly"]]],
    });
    writeBatchFile(
      dir,
      newBatchFile({
        batchId: "e2e-batch",
        config,
        grid: plan.grid,
        seeds: plan.seeds,
        specs: plan.specs,
        caps: {},
        totals: emptyTotals(),
      }),
    );
    batch = await serveBatch(dir, { port: 0 });
    // Every run live, held until the page is open, then paced so the page sees them play.
    const shared = createSharedResources({ llmConcurrency: 4 });
    runs = Promise.all(
      plan.specs.map(async (spec) => {
        const tracked = batch.track(spec.id, "donor-game", dir, { onStart: (_h: RunHandle) => {} });
        tracked.live.gate.pause();
        tracked.live.gate.setSpeed(12);
        lives.push(tracked.live);
        const row = await runOne(spec, dir, shared, tracked.options);
        tracked.finish(row.status);
        return row;
      }),
    );
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    for (const live of lives) {
      live.gate.setSpeed(0);
      live.gate.resume();
    }
    await runs;
    await browser?.close().catch(() => {});
    await batch?.server.close();
    tmp.cleanup();
  }, 60_000);

  e2e("opens on the batch page: every run with its status, the runs live and held", async () => {
    await page.goto(batch.server.url);
    const batchPage = page.getByTestId("batch-page");
    await batchPage.waitFor({ timeout: 15_000 });
    expect(await page.getByTestId("batch-title").textContent()).toBe("Batch e2e-batch");
    expect(await batchPage.getAttribute("data-runs")).toBe("4");
    for (const spec of plan.specs) {
      const row = page.getByTestId(`batch-run-${spec.id}`);
      await expect.poll(() => row.getAttribute("data-live"), { timeout: 10_000 }).toBe("true");
      expect(await row.getAttribute("data-status")).toBe("running");
      expect(await row.textContent()).toContain(spec.conditionLabel);
    }
    // Nothing has ended yet: no chart, no completed run.
    expect(await page.getByTestId("batch-chart-empty").count()).toBe(1);
    await snap(page, "batch-1-held");
  });

  e2e("the chart fills per condition as the runs play", async () => {
    for (const live of lives) live.gate.resume();
    const plot = page.getByTestId("batch-plot");
    await plot.waitFor({ timeout: 20_000 });
    await expect
      .poll(async () => Number(await plot.getAttribute("data-points")), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(2);
    expect(await plot.locator("canvas").count()).toBeGreaterThanOrEqual(1);
    const conditions = page.getByTestId("batch-condition");
    expect(await conditions.count()).toBe(2);
    expect(await conditions.first().textContent()).toContain("donorGame.punishment=none");
    // The runs' generations count up on the page.
    const first = page.getByTestId(`batch-run-${plan.specs[0]!.id}`);
    await expect
      .poll(async () => Number(await first.getAttribute("data-generation")), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(2);
    await snap(page, "batch-2-running");
  });

  e2e("clicking a run opens its live view, and the sidebar link leads back", async () => {
    const spec = plan.specs.at(-1)!;
    // Slow this run down so it is still running in its own view.
    lives.find((l) => l.id === spec.id)!.gate.setSpeed(2);
    await page.getByTestId(`batch-open-${spec.id}`).click();
    await page.getByTestId("batch-page").waitFor({ state: "detached" });
    await expect
      .poll(() => page.getByTestId("run-title").textContent(), { timeout: 10_000 })
      .toContain(spec.id);
    await expect
      .poll(() => page.getByTestId("graph").getAttribute("data-nodes"), { timeout: 15_000 })
      .toBe("12");
    expect(await page.getByTestId(`run-item-${spec.id}`).getAttribute("data-live")).toBe("true");
    expect(["running", "completed"]).toContain(
      await page.getByTestId("run-status").getAttribute("data-phase"),
    );
    await snap(page, "batch-3-run-view");
    lives.find((l) => l.id === spec.id)!.gate.setSpeed(0);

    await page.getByTestId("batch-nav").click();
    await page.getByTestId("batch-page").waitFor();
  });

  e2e("shows the finished batch: every run completed at its last generation", async () => {
    await runs;
    const counts = page.getByTestId("batch-counts");
    await expect.poll(() => counts.getAttribute("data-completed"), { timeout: 15_000 }).toBe("4");
    for (const spec of plan.specs)
      expect(await page.getByTestId(`batch-run-${spec.id}`).getAttribute("data-generation")).toBe(
        String(GENERATIONS),
      );
    await expect
      .poll(async () => Number(await page.getByTestId("batch-plot").getAttribute("data-points")))
      .toBe(GENERATIONS);
    await expect
      .poll(async () => page.getByTestId("batch-condition").first().getAttribute("data-n"))
      .toBe("2");
    // Another metric redraws the chart for it.
    await page.getByTestId("batch-metric").selectOption("avgDonationFraction");
    await expect
      .poll(() => page.getByTestId("batch-metric").inputValue())
      .toBe("avgDonationFraction");
    await snap(page, "batch-4-finished");
    expect(pageErrors).toEqual([]);
  });
});
