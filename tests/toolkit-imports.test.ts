import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const importsOf = (file: string): string[] =>
  [...readFileSync(file, "utf8").matchAll(/\bfrom\s+"([^"]+)"/g)].map((m) => m[1]!);

describe("the scenario toolkit's dependencies", () => {
  it("imports only itself and sim/core", () => {
    const dir = join(root, "sim/toolkit");
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      for (const target of importsOf(join(dir, file)))
        expect(target, `${file} imports ${target}`).toMatch(/^\.\/|^\.\.\/core\//);
    }
  });

  it("scenarios do not borrow from the report", () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (
          /\.tsx?$/.test(entry.name) &&
          importsOf(path).some((t) => t.includes("app/report/"))
        )
          offenders.push(path);
      }
    };
    walk(join(root, "scenarios"));
    expect(offenders).toEqual([]);
  });
});
