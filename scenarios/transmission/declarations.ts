/**
 * The transmission scenario's time coordinates and interaction kinds (run-started carries them).
 */
import type { TimeCoordinate } from "../../sim/core/events.js";

/** Chain mode's chain index below the generation; network mode has no coordinate below it. */
export const TIME: readonly TimeCoordinate[] = [{ key: "chain", label: "chain" }];

export const INTERACTIONS: Readonly<Record<string, string>> = {
  text: "a text an agent wrote",
  lineage: "the text a new text most likely came from",
};
