/**
 * The two readers of JSON Lines logs in sim/core/recorder.ts, the whole-file `readJsonLines` and
 * the streaming `streamJsonLines` (batch tables, exports), read the same rows from the same file,
 * plain or gzip: lines across read chunks, multi-byte characters split between chunks, CRLF line
 * ends, blank lines, a last line without a line break, a torn last line.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { readJsonLines, streamJsonLines } from "../sim/core/recorder.js";
import { tempDir } from "./support/llm-helpers.js";

const tmp = tempDir("json-lines");
afterAll(() => tmp.cleanup());

const streamed = async (path: string) => {
  const rows: unknown[] = [];
  for await (const row of streamJsonLines(path)) rows.push(row);
  return rows;
};

// Longer than a read chunk (64 KiB), with characters of 2 to 4 bytes throughout.
const long = { text: "aé中😀".repeat(40_000), n: 1 };
const rows = [{ a: 1 }, long, { b: "line\nbreak\r\ninside" }, { c: null }];
const lines = rows.map((r) => JSON.stringify(r));

const FILES: Record<string, { text: string; expected: unknown[] }> = {
  "LF, final break": { text: `${lines.join("\n")}\n`, expected: rows },
  "CRLF, blank lines": { text: `\r\n${lines.join("\r\n\r\n")}\r\n\n`, expected: rows },
  "no final break": { text: lines.join("\n"), expected: rows },
  "a torn last line": { text: `${lines.join("\n")}\n{"d": [1, 2`, expected: rows },
  "a torn line before the last": {
    text: `${lines[0]}\n{"d": [1,\n${lines[1]}\n`,
    expected: [rows[0]],
  },
  // JSON Lines ends lines at "\n" only: a lone "\r" is white space inside a line, not a break.
  "a lone carriage return": {
    text: `${lines[0]}\r${lines[3]}\n${lines[3]}\n`,
    expected: [],
  },
};

describe("readJsonLines and streamJsonLines", () => {
  for (const [name, { text, expected }] of Object.entries(FILES)) {
    it(`read the same rows: ${name}`, async () => {
      const plain = join(tmp.path, `${name}.jsonl`);
      writeFileSync(plain, text);
      const gz = `${plain}.gz`;
      writeFileSync(gz, gzipSync(text));
      for (const path of [plain, gz]) {
        expect(readJsonLines(path)).toEqual(expected);
        expect(await streamed(path)).toEqual(expected);
      }
    });
  }
});
