/**
 * A recorded Donor Game on a sparse graph (schedule: graph on a Watts–Strogatz graph) in the viewer
 * (headless Chromium): the current round's moves are drawn as arrows on the edges where they
 * happened (checked in the pixels of the moves layer, at the end and scrubbed back into an earlier
 * round), and the "giving" colouring paints each node with the giving the scenario recorded for
 * its agent (sigma's node attributes). Expectations come from the event log, not from the viewer's
 * code. Fails (never skips) without Chromium.
 */
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { AgoraEvent, EventOf } from "../sim/core/events.js";
import { PUNISHMENT_COLOR, REFUSAL_COLOR } from "../scenarios/donor-game/view.js";
import { fractionColor } from "../viewer/src/colors.js";
import { NO_VALUE_COLOR } from "../viewer/src/scenarios/measures.js";
import { serializedGraph } from "../sim/core/graph/compact.js";
import { chromiumSuite, nodeAttributes, nodePoint, snap, viewerUrlOf } from "./support/browser.js";
import { spawnCli, tempDir, type CliProcess } from "./support/llm-helpers.js";
import { recordSparseDonorRun, SPARSE_AGENTS } from "./support/sparse-donor-run.js";

const tmp = tempDir("viewer-donor-network");
const suite = chromiumSuite();
let browser: Browser | undefined;
let server: CliProcess | undefined;
let events: AgoraEvent[] = [];

beforeAll(async () => {
  browser = await suite.start();
  events = await recordSparseDonorRun(tmp.path, join(tmp.path, "runs", "network"));
  server = spawnCli(["serve", "--runs", join(tmp.path, "runs"), "--port", "0"]);
}, 120_000);

afterAll(async () => {
  server?.child.kill();
  await browser?.close();
  tmp.cleanup();
});

interface Arrow {
  from: string;
  to: string;
  color: string;
}

const isMove = (e: AgoraEvent): e is EventOf<"interaction"> =>
  e.type === "interaction" && e.to !== null && e.kind !== "strategy-revised";

/** The moves of the round of event `seq` up to it, as arrows between slots (from the log). */
function roundArrows(seq: number): Arrow[] {
  const slot = new Map<string, string>();
  for (const e of events.slice(0, seq + 1))
    if (e.type === "agent-created") slot.set(e.agent.id, e.agent.slot);
  const last = events[seq]!;
  return events
    .slice(0, seq + 1)
    .filter(isMove)
    .filter((e) => e.t.generation === last.t.generation && e.t.round === last.t.round)
    .map((e) => ({
      from: slot.get(e.from)!,
      to: slot.get(e.to!)!,
      color:
        e.kind === "donation"
          ? fractionColor(e.data.fraction as number)
          : e.kind === "punishment"
            ? PUNISHMENT_COLOR
            : REFUSAL_COLOR,
    }));
}

/**
 * How many of `arrows` the moves layer shows: a pixel of the arrow's colour near the middle of its
 * edge (arrows of both directions of a pair lie a few pixels to either side of it).
 */
function arrowsDrawn(page: Page, arrows: Arrow[]): Promise<number> {
  return page.evaluate((list) => {
    type Sigma = {
      getNodeDisplayData(n: string): { x: number; y: number } | undefined;
      framedGraphToViewport(c: { x: number; y: number }): { x: number; y: number };
      getCanvases(): Record<string, HTMLCanvasElement>;
      getDimensions(): { width: number; height: number };
    };
    const sigma = window.__agoraViewer?.sigma as Sigma | undefined;
    const canvas = sigma?.getCanvases().agoraMoves;
    if (!sigma || !canvas) return -1;
    const ratio = canvas.width / sigma.getDimensions().width;
    const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
    const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    let found = 0;
    for (const arrow of list) {
      const a = sigma.getNodeDisplayData(arrow.from);
      const b = sigma.getNodeDisplayData(arrow.to);
      if (!a || !b) continue;
      const p = sigma.framedGraphToViewport(a);
      const q = sigma.framedGraphToViewport(b);
      const [r, g, bl] = rgb(arrow.color);
      const cx = ((p.x + q.x) / 2) * ratio;
      const cy = ((p.y + q.y) / 2) * ratio;
      const reach = Math.ceil(7 * ratio);
      let hit = false;
      for (let dy = -reach; dy <= reach && !hit; dy++) {
        for (let dx = -reach; dx <= reach && !hit; dx++) {
          const x = Math.round(cx + dx);
          const y = Math.round(cy + dy);
          if (x < 0 || y < 0 || x >= canvas.width || y >= canvas.height) continue;
          const i = (y * canvas.width + x) * 4;
          const d = pixels.data;
          hit =
            d[i + 3]! > 150 &&
            Math.abs(d[i]! - r!) < 30 &&
            Math.abs(d[i + 1]! - g!) < 30 &&
            Math.abs(d[i + 2]! - bl!) < 30;
        }
      }
      if (hit) found++;
    }
    return found;
  }, arrows);
}

const seqOf = (page: Page) =>
  page.evaluate(
    () =>
      (window.__agoraViewer?.store.getState() as unknown as { view: { nextSeq: number } }).view
        .nextSeq - 1,
  );

describe("a Donor Game on a sparse graph in the viewer", () => {
  suite.e2e("draws the round's moves on their edges and colours nodes by giving", async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(await viewerUrlOf(server!));
    await page.getByTestId("run-item-network").click();
    await expect
      .poll(() => page.getByTestId("run-status").getAttribute("data-phase"), { timeout: 20_000 })
      .toBe("completed");
    const lastSeq = events.length - 1;
    await expect.poll(() => seqOf(page), { timeout: 10_000 }).toBe(lastSeq);
    const graph = page.getByTestId("graph");

    // The end: the last round's moves (both games), each an arrow on its edge.
    const lastMove = events.findLast(isMove)!;
    const atEnd = roundArrows(lastMove.seq);
    expect(atEnd.length).toBeGreaterThan(SPARSE_AGENTS / 2);
    await expect.poll(() => graph.getAttribute("data-moves")).toBe(String(atEnd.length));
    expect(await page.getByTestId("move-highlights").textContent()).toContain(
      `moves of generation ${lastMove.t.generation}, round ${lastMove.t.round}`,
    );
    await expect.poll(() => arrowsDrawn(page, atEnd), { timeout: 5_000 }).toBe(atEnd.length);

    // Nodes coloured by the giving the scenario recorded for each agent in the last generation.
    await page.getByTestId("color-by").selectOption("giving");
    await expect.poll(() => graph.getAttribute("data-color-by")).toBe("giving");
    const ended = events.findLast(
      (e): e is EventOf<"generation-ended"> => e.type === "generation-ended",
    )!;
    const expected = Object.fromEntries(
      ended.agents!.map((row) => [
        row.slot as string,
        row.giving === null ? NO_VALUE_COLOR : fractionColor(row.giving as number),
      ]),
    );
    expect(new Set(Object.values(expected)).size).toBeGreaterThan(2);
    await expect.poll(() => nodeAttributes(page, "color"), { timeout: 5_000 }).toEqual(expected);
    expect(await page.getByTestId("legend-scale").textContent()).toBe("0%100%");
    await snap(page, "donor-network-end");

    // The tooltip gives the slot's degree on the graph (here the most linked slot).
    const degree = new Map<string, number>();
    for (const e of serializedGraph((events[0] as EventOf<"run-started">).graph).edges)
      for (const end of [e.source, e.target]) degree.set(end, (degree.get(end) ?? 0) + 1);
    const [hub, hubDegree] = [...degree].sort((a, b) => b[1] - a[1])[0]!;
    const at = await nodePoint(page, hub);
    await page.mouse.move(at!.x, at!.y);
    await expect
      .poll(() => page.getByTestId("graph-tooltip").textContent(), { timeout: 5_000 })
      .toContain(`slot ${hub} · degree ${hubDegree} · `);
    await page.mouse.move(1, 1);

    // Scrubbed back into generation 1, halfway through a round: that round's moves so far.
    const inRound = events.filter(isMove).filter((e) => e.t.generation === 1 && e.t.round === 3);
    const mid = inRound[Math.floor(inRound.length / 2)]!;
    const scrubbed = roundArrows(mid.seq);
    expect(scrubbed.length).toBeLessThan(inRound.length);
    await page.getByTestId("scrubber").fill(String(mid.seq));
    await expect.poll(() => seqOf(page), { timeout: 5_000 }).toBe(mid.seq);
    await expect.poll(() => graph.getAttribute("data-moves")).toBe(String(scrubbed.length));
    await expect.poll(() => arrowsDrawn(page, scrubbed), { timeout: 5_000 }).toBe(scrubbed.length);
    // The "moves" box takes them off the graph.
    await page.getByTestId("show-moves").uncheck();
    await expect.poll(() => graph.getAttribute("data-moves")).toBe("0");
    expect(await arrowsDrawn(page, scrubbed)).toBe(0);
  });
});
