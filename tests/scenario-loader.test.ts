/** How a config's `scenario:` is found and checked: built-in ids, module paths, clear errors. */
import { mkdirSync, readdirSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../sim/core/errors.js";
import {
  builtinIds,
  loadScenario,
  resolveScenarioModule,
  ScenarioLoadError,
} from "../sim/app/scenarios.js";
import { ROOT, runCli, tempDir } from "./support/llm-helpers.js";

const tmp = tempDir("loader");
afterAll(() => tmp.cleanup());

describe("scenario loader", () => {
  it("finds every scenario folder with an index module, and nothing else", () => {
    const folders = readdirSync(join(ROOT, "scenarios")).filter((name) =>
      existsSync(join(ROOT, "scenarios", name, "index.ts")),
    );
    expect(builtinIds()).toEqual(folders.sort());
    expect(builtinIds()).toEqual(
      expect.arrayContaining(["debate", "donor-game", "public-goods", "transmission"]),
    );
  });

  it("names an unknown scenario as a config error listing the built-ins", () => {
    const error = (() => {
      try {
        resolveScenarioModule("donor-games", tmp.path);
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(
      /^scenario: got "donor-games", expected a built-in scenario \(debate, donor-game, public-goods, transmission\)/,
    );
  });

  it("refuses a module that is not a scenario, naming the file and what is wrong, with exit 2", async () => {
    const dir = join(tmp.path, "not-a-scenario");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
    writeFileSync(join(dir, "index.js"), "export default { id: 'Bad Id' };\n");
    await expect(loadScenario("./not-a-scenario", tmp.path)).rejects.toThrow(ScenarioLoadError);
    await expect(loadScenario("./not-a-scenario", tmp.path)).rejects.toThrow(
      /index\.js does not export a scenario made with defineScenario: id "Bad Id"/,
    );
    const config = join(tmp.path, "bad.yaml");
    writeFileSync(
      config,
      "scenario: ./not-a-scenario\npopulation: { size: 2, minds: [{ count: 2, policy: x }] }\n",
    );
    const cli = await runCli(["validate", config]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('scenario "./not-a-scenario"');
  });
});
