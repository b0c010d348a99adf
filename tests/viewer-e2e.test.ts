/**
 * The live viewer end to end, in Debian's headless Chromium (playwright-core, software WebGL):
 * `agora run --serve` streaming the offline demo, a recorded run beside it in the run picker,
 * engine controls, clicking a node on sigma's canvas, scrubbing a recorded run, and the page's
 * states (wrong token, empty runs directory, server gone). Screenshots of every stage go to
 * tests/artifacts/viewer-*.png. Fails (never skips) without /usr/bin/chromium: `.ci/run` installs
 * it.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  alive,
  launchChromium,
  nodeAttributes,
  nodePoint,
  sizeOptions,
  snap,
  tableColumns,
  viewerUrlOf,
} from "./support/browser.js";
import { readEvents, runCli, spawnCli, tempDir, type CliProcess } from "./support/llm-helpers.js";

const DEMO = "scenarios/donor-game/offline-demo.yaml";
const VIEWPORT = { width: 1280, height: 800 };
/** A slot (first-generation id) of the demo's 12-agent graph: the node clicked on the canvas. */
const CLICK_SLOT = "g1-a5";

const tmp = tempDir("viewer-e2e");
const runsDir = join(tmp.path, "runs");
const emptyDir = join(tmp.path, "empty");
const children: CliProcess[] = [];
const pageErrors: string[] = [];
/** The console's errors while the server is up (a failed request is one). */
const consoleErrors: string[] = [];

let browser: Browser | undefined;
/** Why the browser could not start: every test fails with it. */
let setupError: Error | undefined;
let context: BrowserContext | undefined;
let page: Page;
let live: CliProcess;
let liveUrl = "";
let recordedLastSeq = -1;

function spawnTracked(args: string[]): CliProcess {
  const proc = spawnCli(args);
  children.push(proc);
  return proc;
}

/** The viewed seq (`data-seq`) and the head seq of the seq label. */
async function seqs(p: Page = page): Promise<{ seq: number; head: number }> {
  const label = p.getByTestId("seq-label");
  const [seq, head] = await Promise.all([
    label.getAttribute("data-seq"),
    label.getAttribute("data-head-seq"),
  ]);
  return { seq: Number(seq), head: Number(head) };
}
const seq = async (): Promise<number> => (await seqs()).seq;

/** Whether each of sigma's layers (canvas.sigma-<id>) in the graph panel is displayed. */
async function layersShown(ids: string[], p: Page = page): Promise<Record<string, boolean>> {
  const graph = p.getByTestId("graph");
  const shown: Record<string, boolean> = {};
  for (const id of ids) {
    shown[id] = await graph
      .locator(`canvas.sigma-${id}`)
      .evaluate((canvas) => getComputedStyle(canvas).display !== "none");
  }
  return shown;
}

/**
 * The seq once the view has stopped moving: two reads 800 ms apart agree and the view is at the
 * head. A step's events (a generation's end brings several batches) may take a while to arrive on a
 * loaded machine; a run that did not hold never settles and fails the poll.
 */
async function settledSeq(): Promise<number> {
  let last = -1;
  await expect
    .poll(
      async () => {
        const now = await seqs();
        const stable = now.seq === last && now.seq === now.head;
        last = now.seq;
        return stable;
      },
      { timeout: 10_000, interval: 800 },
    )
    .toBe(true);
  return last;
}

/** The label sigma shows on each slot node of the current graph. */
function nodeLabels(p: Page = page): Promise<Record<string, string>> {
  return nodeAttributes(p, "label");
}

/**
 * Waits until no interaction flash is drawn (they last ~600 ms), so a screenshot shows the state.
 * (Loading a recorded run under 2,000 events, and "back to live" from a scrub, flash up to 300 at
 * once.)
 */
async function fadeFlashes(): Promise<void> {
  await expect
    .poll(() => page.getByTestId("graph").getAttribute("data-flashes"), { timeout: 5_000 })
    .toBe("0");
}

/** Where the run-status banner says the live run is ("Running: generation G, round R"). */
async function roundOf(): Promise<{ generation: number; round: number | undefined }> {
  const text = (await page.getByTestId("run-status").textContent()) ?? "";
  const match = /generation (\d+)(?:, round (\d+))?/.exec(text);
  if (!match) throw new Error(`no generation in the run status: ${text}`);
  return {
    generation: Number(match[1]),
    round: match[2] === undefined ? undefined : Number(match[2]),
  };
}

async function openPage(url: string): Promise<{ page: Page; ctx: BrowserContext }> {
  const ctx = await browser!.newContext({ viewport: VIEWPORT });
  const p = await ctx.newPage();
  await p.goto(url);
  return { page: p, ctx };
}

/** A test of this file: fails at once, with the setup's error, when Chromium could not start. */
function e2e(name: string, body: () => Promise<void>): void {
  it(name, async () => {
    if (setupError) throw setupError;
    await body();
  });
}

describe.sequential("the live viewer in Chromium", () => {
  beforeAll(async () => {
    // First, so a missing Chromium fails every test at once with its message (never a skip).
    try {
      browser = await launchChromium();
    } catch (error) {
      setupError = error as Error;
      return;
    }
    mkdirSync(runsDir, { recursive: true });
    mkdirSync(emptyDir, { recursive: true });
    // A finished run beside the live one: the run picker lists it as a sibling.
    const recorded = await runCli(["run", DEMO, "--out", join(runsDir, "recorded")]);
    expect(recorded.code, recorded.stderr).toBe(0);
    recordedLastSeq = readEvents(join(runsDir, "recorded")).at(-1)!.seq;
    live = spawnTracked([
      "run",
      DEMO,
      "--out",
      join(runsDir, "live"),
      "--serve",
      "--port",
      "0",
      "--speed",
      "8",
    ]);
    liveUrl = await viewerUrlOf(live);
    context = await browser.newContext({ viewport: VIEWPORT });
    page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    for (const proc of children) {
      if (alive(proc)) proc.child.kill("SIGKILL");
      await proc.done.catch(() => {});
    }
    const running = children.filter(alive).map((p) => p.child.pid);
    tmp.cleanup();
    expect(running, "server processes left running").toEqual([]);
  }, 30_000);

  e2e("connects, draws the 12-node graph and the charts, and counts up", async () => {
    await page.goto(liveUrl);
    await expect
      .poll(() => page.getByTestId("connection-status").getAttribute("data-state"), {
        timeout: 15_000,
      })
      .toBe("connected");
    // The live run is opened by itself; the recorded one is listed beside it.
    await page.getByTestId("run-item-live").waitFor();
    expect(await page.getByTestId("run-item-live").getAttribute("data-live")).toBe("true");
    expect(await page.getByTestId("run-item-recorded").getAttribute("data-status")).toBe(
      "completed",
    );
    expect(await page.getByTestId("run-title").textContent()).toContain("live");

    // The graph: sigma's canvases, 12 slots, all occupied.
    const graph = page.getByTestId("graph");
    await expect.poll(() => graph.getAttribute("data-nodes"), { timeout: 15_000 }).toBe("12");
    await expect.poll(() => graph.getAttribute("data-agents")).toBe("12");
    expect(await graph.locator("canvas.sigma-nodes").count()).toBe(1);
    expect(await graph.locator("canvas").count()).toBeGreaterThanOrEqual(4);
    expect(Object.keys(await nodeLabels())).toHaveLength(12);
    // Sigma's layers with nothing to show are out of the page (software WebGL reads back every
    // cleared layer each render): edge labels always, hovers until a node is hovered. This graph's
    // edges are shown, and hidden with their checkbox.
    expect(await layersShown(["edges", "edgeLabels", "hovers", "hoverNodes", "nodes"])).toEqual({
      edges: true,
      edgeLabels: false,
      hovers: false,
      hoverNodes: false,
      nodes: true,
    });
    await page.getByTestId("show-edges").uncheck();
    await expect.poll(() => layersShown(["edges"])).toEqual({ edges: false });
    await page.getByTestId("show-edges").check();
    await expect.poll(() => layersShown(["edges"])).toEqual({ edges: true });

    // Charts: uPlot canvases, filled once the first generation has ended.
    for (const id of ["chart-resources", "chart-cooperation", "chart-rounds"]) {
      expect(await page.getByTestId(id).locator("canvas").count(), id).toBeGreaterThanOrEqual(1);
    }
    await expect
      .poll(
        async () => Number(await page.getByTestId("plot-resources").getAttribute("data-points")),
        { timeout: 20_000 },
      )
      .toBeGreaterThanOrEqual(1);
    await expect
      .poll(async () =>
        Number(await page.getByTestId("plot-cooperation").getAttribute("data-points")),
      )
      .toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId("usage-none").textContent()).toContain("policy minds");
    // The Donor Game's own words come from its view: resources and last score as sizes and columns,
    // games as round series.
    expect(await sizeOptions(page)).toEqual(["resources", "score"]);
    expect(await page.getByTestId("size-by").locator("option").allTextContents()).toEqual([
      "resources",
      "last score",
    ]);
    expect(await graph.getAttribute("data-size-by")).toBe("resources");
    expect(await tableColumns(page)).toEqual([
      "agent",
      "mind",
      "family",
      "resources",
      "score",
      "giving",
    ]);
    await page.getByTestId("size-by").selectOption("score");
    await expect.poll(() => graph.getAttribute("data-size-by")).toBe("score");
    expect(await page.getByTestId("graph-legend").textContent()).toContain("size: last score");
    await page.getByTestId("size-by").selectOption("resources");
    await expect.poll(() => graph.getAttribute("data-size-by")).toBe("resources");
    await expect
      .poll(async () => (await page.getByTestId("chart-rounds").textContent()) ?? "", {
        timeout: 10_000,
      })
      .toContain("game 1");

    // The counters advance while the run plays.
    const before = await seq();
    expect(before).toBeGreaterThan(0);
    await expect.poll(seq, { timeout: 5_000, interval: 250 }).toBeGreaterThan(before);
    expect(await page.getByTestId("run-status").getAttribute("data-phase")).toBe("running");
    expect(await page.getByTestId("btn-live").getAttribute("data-following")).toBe("true");
    // Interactions flash their edges as they happen.
    await expect
      .poll(async () => Number(await graph.getAttribute("data-total-flashes")), { timeout: 5_000 })
      .toBeGreaterThan(0);
    await snap(page, "1-live");
    // Nothing the page asked for failed (it asks for a batch page too: none here).
    expect(consoleErrors).toEqual([]);
  });

  e2e("pause holds the run, step advances it once, resume runs on", async () => {
    await page.getByTestId("btn-pause").click();
    await page.getByTestId("paused-badge").waitFor();
    expect(await page.getByTestId("btn-pause").isDisabled()).toBe(true);
    // One step in flight may still land; after that nothing moves.
    const held = { seq: await settledSeq() };
    expect(await page.getByTestId("run-status").textContent()).toContain("paused");
    const roundBefore = await roundOf();
    await snap(page, "2-paused");

    await page.getByTestId("btn-step").click();
    await expect.poll(seq, { timeout: 5_000 }).toBeGreaterThan(held.seq);
    const stepped = await settledSeq();
    // One step is one round of one game (12 donations and a round metric; at most a generation's
    // end too).
    expect(stepped - held.seq).toBeGreaterThan(0);
    expect(stepped - held.seq).toBeLessThan(60);
    // ... and moves the run on by exactly one round.
    const roundAfter = await roundOf();
    if (roundAfter.generation === roundBefore.generation && roundAfter.round === undefined) {
      // The generation's last round: its end (a generation-ended event, with no round) follows in
      // the same step.
      expect(roundBefore.round).toBeDefined();
      await expect
        .poll(() =>
          page
            .locator(`[data-testid="scrubber-tick"][data-generation="${roundBefore.generation}"]`)
            .count(),
        )
        .toBe(1);
    } else if (roundAfter.generation === roundBefore.generation) {
      expect(roundAfter).toEqual({
        generation: roundBefore.generation,
        round: (roundBefore.round ?? 0) + 1,
      });
    } else {
      // Past round 12 the next step opens the next generation: its newborns' strategies (no round
      // yet).
      expect(roundAfter.generation).toBe(roundBefore.generation + 1);
      expect(roundAfter.round).toBeUndefined();
    }
    await page.getByTestId("paused-badge").waitFor();
    await snap(page, "3-stepped");

    await page.getByTestId("btn-resume").click();
    await page.getByTestId("paused-badge").waitFor({ state: "detached" });
    await expect.poll(seq, { timeout: 5_000 }).toBeGreaterThan(stepped + 12);
  });

  e2e("clicking a node on the graph canvas inspects its agent", async () => {
    const point = await nodePoint(page, CLICK_SLOT);
    expect(point, "the node's position from window.__agoraViewer.sigma").not.toBeNull();
    await page.mouse.click(point!.x, point!.y);

    const details = page.getByTestId("agent-details");
    await details.waitFor({ timeout: 5_000 });
    const agentId = await details.getAttribute("data-agent");
    expect(agentId).toMatch(/^g\d+-a\d+$/);
    expect(await page.evaluate(() => window.__agoraViewer!.store.getState().selectedAgentId)).toBe(
      agentId,
    );
    // The agent clicked is the one in that slot.
    expect(await page.getByTestId("inspector-status").textContent()).toContain(
      `slot ${CLICK_SLOT}`,
    );
    expect(await page.getByTestId("inspector-strategy").textContent()).toContain(
      "My strategy will be",
    );
    const mind = page.getByTestId("inspector-mind");
    expect(await mind.getAttribute("data-mind-kind")).toBe("policy");
    expect(await mind.getByTestId("badge-policy").textContent()).toBe("policy");
    expect(await mind.textContent()).toContain("not an LLM");
    expect(await page.getByTestId("inspector-transcript").getAttribute("data-kind")).toBe("policy");
    // The Donor Game's inspector lines: resources (per game once both games have been played),
    // scores per generation.
    expect(await page.getByTestId("inspector-field-resources").textContent()).toMatch(
      /^resources: [\d.,]+( \(game 1: [\d.,]+, game 2: [\d.,]+\))?$/,
    );
    expect(await details.textContent()).toContain("Scores per generation");

    // The pointer rests on the node: its tooltip names the agent and fits inside the graph (the
    // slot is on the right of the circle, where a tooltip drawn rightwards would be clipped).
    const tooltip = page.getByTestId("graph-tooltip");
    await tooltip.waitFor({ timeout: 5_000 });
    // (By slot: the agent in it may be replaced at a generation end while the run plays.)
    expect(await tooltip.textContent()).toContain(`slot ${CLICK_SLOT}`);
    expect(await page.getByTestId("graph-tooltip-measures").textContent()).toMatch(
      /^resources: [\d.,]+ · last score: ([\d.,]+|–) · giving: (\d+%|–)$/,
    );
    const [tip, box] = await Promise.all([
      tooltip.boundingBox(),
      page.getByTestId("graph").boundingBox(),
    ]);
    expect(tip!.width).toBeGreaterThan(150);
    expect(tip!.x).toBeGreaterThanOrEqual(box!.x);
    expect(tip!.y).toBeGreaterThanOrEqual(box!.y);
    expect(tip!.x + tip!.width).toBeLessThanOrEqual(box!.x + box!.width);
    expect(tip!.y + tip!.height).toBeLessThanOrEqual(box!.y + box!.height);
    expect(await layersShown(["hovers", "hoverNodes"])).toEqual({ hovers: true, hoverNodes: true });
    await snap(page, "4-inspector");
    // Moving away hides it (and sigma's hover layers); the selection stays.
    await page.mouse.move(5, 5);
    await tooltip.waitFor({ state: "detached", timeout: 5_000 });
    expect(await details.getAttribute("data-agent")).toBe(agentId);
    expect(await layersShown(["hovers", "hoverNodes"])).toEqual({
      hovers: false,
      hoverNodes: false,
    });
  });

  e2e(
    "a recorded run: completed, scrubbed back to its first generation, and back to the end",
    async () => {
      await page.getByTestId("run-item-recorded").click();
      await expect
        .poll(() => page.getByTestId("run-status").getAttribute("data-phase"), { timeout: 10_000 })
        .toBe("completed");
      expect(await page.getByTestId("run-item-recorded").getAttribute("data-status")).toBe(
        "completed",
      );
      await expect
        .poll(seqs, { timeout: 10_000 })
        .toEqual({ seq: recordedLastSeq, head: recordedLastSeq });
      await page.getByTestId("controls-recorded").waitFor();
      expect(await page.getByTestId("btn-pause").isDisabled()).toBe(true);
      expect(await page.getByTestId("seq-label").textContent()).toContain("gen 10");
      expect(await page.getByTestId("scrubber-tick").count()).toBe(10);
      // At the end, later generations hold slots.
      await expect
        .poll(async () => Object.values(await nodeLabels()).some((l) => l.startsWith("g10-")), {
          timeout: 5_000,
        })
        .toBe(true);
      // A recording's history loads without flashing its interactions.
      expect(await page.getByTestId("graph").getAttribute("data-flashes")).toBe("0");

      // Back to seq 100, inside generation 1 (the range input's value, with input/change events).
      const early = 100;
      await page.getByTestId("scrubber").fill(String(early));
      await expect.poll(seq, { timeout: 5_000 }).toBe(early);
      expect((await seqs()).head).toBe(recordedLastSeq);
      expect(await page.getByTestId("seq-label").textContent()).toMatch(
        /seq 100 \/ [\d,]+ · gen 1$/,
      );
      expect(await page.getByTestId("btn-live").getAttribute("data-following")).toBe("false");
      await page.getByTestId("scrub-notice").waitFor();
      expect(await page.getByTestId("run-status").textContent()).toContain(
        "at seq 100 (generation 1)",
      );
      // The agents table and the graph show generation 1's agents, each in its own slot.
      await expect
        .poll(
          async () =>
            (
              await page
                .locator('[data-testid^="agent-row-"]')
                .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-testid")))
            ).sort(),
          { timeout: 5_000 },
        )
        .toEqual(Array.from({ length: 12 }, (_, i) => `agent-row-g1-a${i + 1}`).sort());
      await expect
        .poll(
          async () => Object.entries(await nodeLabels()).every(([slot, label]) => slot === label),
          { timeout: 5_000 },
        )
        .toBe(true);
      await fadeFlashes();
      await snap(page, "5-recorded-scrubbed");

      await page.getByTestId("btn-live").click();
      await expect
        .poll(seqs, { timeout: 5_000 })
        .toEqual({ seq: recordedLastSeq, head: recordedLastSeq });
      expect(await page.getByTestId("btn-live").getAttribute("data-following")).toBe("true");
      expect(await page.getByTestId("scrub-notice").count()).toBe(0);
      expect(await page.getByTestId("seq-label").textContent()).toContain("gen 10");
      await expect
        .poll(async () => Object.values(await nodeLabels()).some((l) => l.startsWith("g10-")), {
          timeout: 5_000,
        })
        .toBe(true);
      await expect
        .poll(async () => (await page.locator('[data-testid^="agent-row-g10-"]').count()) > 0, {
          timeout: 5_000,
        })
        .toBe(true);
      await fadeFlashes();
      await snap(page, "5-recorded-end");
    },
  );

  e2e("with --token: a wrong token shows the refusal, the right one the runs", async () => {
    const server = spawnTracked(["serve", "--runs", runsDir, "--port", "0", "--token", "secret"]);
    const url = await viewerUrlOf(server);
    expect(new URL(url).searchParams.get("token")).toBe("secret");
    const bogus = new URL(url);
    bogus.searchParams.set("token", "bogus");

    const wrong = await openPage(bogus.href);
    try {
      await wrong.page.getByTestId("runs-error").waitFor({ timeout: 10_000 });
      expect(await wrong.page.getByTestId("runs-error").textContent()).toContain("not authorised");
      await expect
        .poll(() => wrong.page.getByTestId("connection-status").getAttribute("data-state"), {
          timeout: 10_000,
        })
        .toBe("disconnected");
      expect(await wrong.page.getByTestId("connection-status").textContent()).toContain(
        "unauthorized",
      );
      expect(await wrong.page.locator('[data-testid^="run-item-"]').count()).toBe(0);
      await snap(wrong.page, "6-wrong-token");
    } finally {
      await wrong.ctx.close();
    }

    const right = await openPage(url);
    try {
      await right.page.getByTestId("run-item-recorded").waitFor({ timeout: 10_000 });
      await right.page.getByTestId("run-item-live").waitFor();
      await expect
        .poll(() => right.page.getByTestId("connection-status").getAttribute("data-state"), {
          timeout: 10_000,
        })
        .toBe("connected");
      expect(await right.page.getByTestId("runs-error").count()).toBe(0);
      await snap(right.page, "6-right-token");
    } finally {
      await right.ctx.close();
    }
    server.child.kill("SIGTERM");
    expect((await server.done).code).toBe(0);
  });

  e2e("an empty runs directory says there are no runs", async () => {
    const server = spawnTracked(["serve", "--runs", emptyDir, "--port", "0"]);
    const empty = await openPage(await viewerUrlOf(server));
    try {
      await empty.page.getByTestId("runs-empty").waitFor({ timeout: 10_000 });
      expect(await empty.page.getByTestId("no-run-selected").textContent()).toContain(
        "No runs yet",
      );
      await expect
        .poll(() => empty.page.getByTestId("connection-status").getAttribute("data-state"), {
          timeout: 10_000,
        })
        .toBe("connected");
      await snap(empty.page, "6-empty");
    } finally {
      await empty.ctx.close();
    }
    server.child.kill("SIGTERM");
    expect((await server.done).code).toBe(0);
  });

  e2e("the live server going away shows the connection lost and reconnecting", async () => {
    await page.getByTestId("run-item-live").click();
    await expect
      .poll(() => page.getByTestId("connection-status").getAttribute("data-state"), {
        timeout: 10_000,
      })
      .toBe("connected");
    await expect.poll(seq, { timeout: 10_000 }).toBeGreaterThan(0);
    // Caught up (charts and log re-render at most every 250 ms) before the server goes.
    await expect
      .poll(
        async () => Number(await page.getByTestId("plot-resources").getAttribute("data-points")),
        { timeout: 10_000 },
      )
      .toBeGreaterThanOrEqual(1);
    await expect
      .poll(() => page.getByTestId("log-row").count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    const lastSeen = await seq();
    live.child.kill("SIGKILL");
    await live.done;
    const status = page.getByTestId("connection-status");
    await expect
      .poll(() => status.getAttribute("data-state"), { timeout: 10_000 })
      .toBe("reconnecting");
    expect(await status.textContent()).toMatch(
      /disconnected — reconnecting \(will resume from seq \d+\)/,
    );
    // What was received stays on screen.
    expect(await seq()).toBeGreaterThanOrEqual(lastSeen);
    expect(await page.getByTestId("graph").getAttribute("data-agents")).toBe("12");
    await snap(page, "7-server-gone");
    // Whatever happened on the page, no uncaught exception.
    expect(pageErrors).toEqual([]);
  });
});
