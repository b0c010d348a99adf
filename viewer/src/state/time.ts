/**
 * The scenario's time coordinates, as declared in run-started (event version 2), and the reading
 * of version 1 logs, whose `t` had a fixed `game` standing for the scenario's first coordinate.
 */
import type { AgoraEvent, TimeCoordinate, TimeCoords } from "../../../sim/core/events.js";

const GAME: TimeCoordinate = { key: "game", label: "game" };
const ROUND: TimeCoordinate = { key: "round", label: "round" };

/** What version 1 runs of the built-in scenarios meant by `t.game` and `t.round`. */
const V1_TIME: Record<string, TimeCoordinate[]> = {
  "donor-game": [GAME, ROUND],
  debate: [{ key: "question", label: "question" }, ROUND],
  transmission: [{ key: "chain", label: "chain" }],
  "public-goods": [ROUND],
};

/**
 * A scenario's coordinates from its run-started: declared (version 2), else what version 1 used.
 */
export function declaredTime(e: Extract<AgoraEvent, { type: "run-started" }>): TimeCoordinate[] {
  if (Array.isArray(e.time)) return e.time.map((c) => ({ key: c.key, label: c.label }));
  return (V1_TIME[e.scenario] ?? [GAME, ROUND]).map((c) => ({ ...c }));
}

/**
 * A version 1 event in version 2's terms: its `t.game` becomes the scenario's first coordinate
 * (the debate's question, a transmission chain). Other events are returned as they are.
 */
export function upgradeEvent(event: AgoraEvent, time: readonly TimeCoordinate[]): AgoraEvent {
  if (event.v >= 2 || event.t.game === undefined) return event;
  const first = time[0]?.key ?? "game";
  if (first === "game") return event;
  const t: TimeCoords = { generation: event.t.generation };
  for (const [key, value] of Object.entries(event.t))
    if (key !== "generation" && value !== undefined) t[key === "game" ? first : key] = value;
  return { ...event, t };
}

/**
 * How round metrics are charted: x is the innermost coordinate (the round), one series per value
 * of the outermost one when there are two or more (the Donor Game's game, the debate's question).
 */
export function roundAxes(time: readonly TimeCoordinate[]): {
  x: TimeCoordinate | null;
  series: TimeCoordinate | null;
} {
  return { x: time.at(-1) ?? null, series: time.length >= 2 ? time[0]! : null };
}
