/**
 * The batch progress display asks worker threads for status lines only when it can show them: the
 * runner makes threads post one every 250 ms exactly when the observer has `onRunStatus`.
 */
import { describe, expect, it } from "vitest";
import { BatchProgress } from "../sim/app/batch/progress.js";
import type { ProgressStream } from "../sim/app/cli/output.js";

const stream = (isTTY: boolean): ProgressStream => ({
  write: () => true,
  isTTY,
  columns: 120,
  rows: 24,
});

describe("BatchProgress", () => {
  it("takes run status lines on a terminal only", () => {
    const saved = { NO_COLOR: process.env.NO_COLOR, TERM: process.env.TERM };
    delete process.env.NO_COLOR;
    process.env.TERM = "xterm";
    try {
      expect(new BatchProgress(stream(true)).onRunStatus).toBeTypeOf("function");
      expect(new BatchProgress(stream(false)).onRunStatus).toBeUndefined();
      process.env.NO_COLOR = "1";
      expect(new BatchProgress(stream(true)).onRunStatus).toBeUndefined();
    } finally {
      for (const [key, value] of Object.entries(saved))
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
    }
  });
});
