/**
 * A run on a large complete graph in the viewer (headless Chromium): its run-started records the
 * nodes alone (event format 3), so the graph panel places every node, draws no edge and says so
 * instead of offering an "edges" box that draws nothing. Fails (never skips) without Chromium.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { COMPLETE_EDGES_LISTED } from "../viewer/src/state/reducer.js";
import { chromiumSuite, snap, viewerUrlOf } from "./support/browser.js";
import { runCli, spawnCli, tempDir, type CliProcess } from "./support/llm-helpers.js";

// The fewest (even) agents whose complete graph has more edges than the reducer lists.
let AGENTS = 2;
while ((AGENTS * (AGENTS - 1)) / 2 <= COMPLETE_EDGES_LISTED) AGENTS += 2;
const tmp = tempDir("viewer-complete");
const suite = chromiumSuite();
let browser: Browser | undefined;
let server: CliProcess | undefined;

beforeAll(async () => {
  browser = await suite.start();
}, 60_000);

afterAll(async () => {
  server?.child.kill();
  await browser?.close();
  tmp.cleanup();
});

describe("a large complete graph in the viewer", () => {
  suite.e2e("places every node, draws no edge and says why", async () => {
    const config = join(tmp.path, "complete.yaml");
    writeFileSync(
      config,
      [
        "scenario: donor-game",
        "generations: 1",
        `population: { size: ${AGENTS}, minds: [{ count: ${AGENTS}, policy: defect }] }`,
        "cache: { mode: 'off' }",
      ].join("\n"),
    );
    const run = await runCli(["run", config, "--out", join(tmp.path, "runs", "complete")]);
    expect(run.code, run.stderr).toBe(0);
    server = spawnCli(["serve", "--runs", join(tmp.path, "runs"), "--port", "0"]);
    const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(await viewerUrlOf(server));
    await page.getByTestId("run-item-complete").click();
    await expect
      .poll(
        () =>
          page.evaluate(
            () =>
              (
                window as unknown as {
                  __agoraViewer?: { sigma?: { getGraph(): { order: number } } };
                }
              ).__agoraViewer?.sigma?.getGraph().order ?? 0,
          ),
        { timeout: 20_000 },
      )
      // Each slot is a node and its halo.
      .toBe(2 * AGENTS);
    const box = page.getByTestId("show-edges");
    expect(await box.isDisabled()).toBe(true);
    expect(await box.isChecked()).toBe(false);
    const label = page.locator("label", { has: box });
    expect(await label.getAttribute("title")).toBe(
      `${((AGENTS * (AGENTS - 1)) / 2).toLocaleString("en-US")} edges of a complete graph: not drawn`,
    );
    await snap(page, "viewer-complete-graph");
  });
});
