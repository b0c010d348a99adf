/**
 * The npm package as a user gets it: `npm pack`, installed into an empty folder, then the `agora`
 * command (version, validate, a run with the live viewer) and the library entry, all from that
 * folder and nothing from this checkout. The global setup has built dist/; the pack skips the
 * prepare script so that it does not rebuild the viewer while other tests serve it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MANIFEST = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
};
const NAME = MANIFEST.name;
/** Packages only the browser viewer uses: it ships built, so the CLI must not depend on them. */
const VIEWER_ONLY = ["react", "react-dom", "sigma", "uplot", "zustand", "socket.io-client", "diff"];

/** This environment without what `npm test` adds (npm_* settings would steer the inner npm). */
const ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_|^INIT_CWD$|^AGORA_/i.test(key)),
  ),
  NO_COLOR: "1",
  npm_config_update_notifier: "false",
};

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The child's output as it comes; `status()` is its stderr (progress, `viewer: URL`, …). */
function watch(child: ChildProcess): { status: () => string; done: Promise<Result> } {
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const done = new Promise<Result>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
  return { status: () => stderr, done };
}

const start = (command: string, args: readonly string[], cwd: string): ChildProcess =>
  spawn(command, args, { cwd, env: ENV, stdio: ["ignore", "pipe", "pipe"] });

/** Runs a command to its end; its stdout, or an error with all its output if it fails. */
async function ok(command: string, args: readonly string[], cwd: string): Promise<string> {
  const result = await watch(start(command, args, cwd)).done;
  if (result.code !== 0) {
    const output = `${result.stdout}\n${result.stderr}`;
    throw new Error(`${command} ${args.join(" ")} exited with ${result.code}\n${output}`);
  }
  return result.stdout;
}

/** The first match of `pattern` in the child's stderr; rejects if the child ends first. */
function waitForStatus(
  child: ChildProcess,
  status: () => string,
  pattern: RegExp,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = status().match(pattern);
      if (!match) return;
      child.stderr!.off("data", check);
      child.off("close", ended);
      resolve(match);
    };
    const ended = (code: number | null) =>
      reject(new Error(`the CLI exited (${code}) before printing ${pattern}:\n${status()}`));
    child.stderr!.on("data", check);
    child.once("close", ended);
    check();
  });
}

let tmp: string | undefined;
let app: string;
let pkg: string;
let packed: string[];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "agora-package-"));
  const pack = ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp];
  const [info] = JSON.parse(await ok("npm", pack, ROOT)) as {
    filename: string;
    files: { path: string }[];
  }[];
  packed = info!.files.map((file) => file.path);
  app = join(tmp, "app");
  mkdirSync(app);
  const tarball = join(tmp, info!.filename);
  const install = ["install", "--prefix", app, "--prefer-offline", "--no-audit", "--no-fund"];
  await ok("npm", [...install, tarball], app);
  pkg = join(app, "node_modules", NAME);
}, 240_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe(`the npm package (${NAME})`, () => {
  it("holds the compiled CLI and library with types, the assets and the built viewer", () => {
    for (const path of [
      "bin/agora.js",
      "dist/sim/index.js",
      "dist/sim/index.d.ts",
      "dist/sim/app/cli/main.js",
      "dist/scenarios/donor-game/index.js",
      "dist/scenarios/donor-game/prompts/donation.md",
      "dist/scenarios/donor-game/offline-demo.yaml",
      "viewer/dist/index.html",
    ]) {
      expect(packed, path).toContain(path);
    }
    // No sources, tests or build bookkeeping.
    const typescript = packed.filter((p) => /\.[cm]?tsx?$/.test(p) && !/\.d\.[cm]?ts$/.test(p));
    expect(typescript).toEqual([]);
    const sources = /^(tests|bench|sim|agents|scenarios|viewer\/src)\//;
    expect(packed.filter((p) => sources.test(p) || p.includes("/."))).toEqual([]);
    const installed = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const viewerOnly = Object.keys(installed.dependencies).filter((n) => VIEWER_ONLY.includes(n));
    expect(viewerOnly).toEqual([]);
  });

  it("runs `agora --version` and `agora validate` on an example it ships", async () => {
    const version = await ok("npx", ["--no", "--", "agora", "--version"], app);
    expect(version.trim()).toBe(MANIFEST.version);
    const config = join("node_modules", NAME, "dist/scenarios/donor-game/offline-demo.yaml");
    const validate = await ok("npx", ["--no", "--", "agora", "validate", config], app);
    expect(validate).toContain(`valid: ${config} (donor-game, 12 agents)`);
  }, 60_000);

  it("runs an example with --serve and serves the viewer it ships", async () => {
    const config = join(pkg, "dist", "scenarios", "donor-game", "offline-demo.yaml");
    // The installed command itself (not through npx), so that Ctrl-C reaches it.
    const bin = join(app, "node_modules", ".bin", "agora");
    const args = [bin, "run", config, "--out", "runs/demo", "--serve", "--port", "0"];
    const child = start(process.execPath, args, app);
    const cli = watch(child);
    try {
      const served = /run ended \(completed\); still serving (http:\/\/\S+)/;
      const [, url] = await waitForStatus(child, cli.status, served);
      const index = await fetch(url!);
      expect(index.status).toBe(200);
      const html = await index.text();
      expect(html).toBe(readFileSync(join(pkg, "viewer", "dist", "index.html"), "utf8"));
      const script = html.match(/src="\.\/(assets\/[^"]+\.js)"/)?.[1];
      expect(script, "the viewer's script in index.html").toBeDefined();
      const asset = await fetch(new URL(script!, url));
      expect(asset.status).toBe(200);
      const shipped = readFileSync(join(pkg, "viewer", "dist", script!));
      expect(Buffer.from(await asset.arrayBuffer()).equals(shipped)).toBe(true);
      const runs = (await (await fetch(new URL("api/runs", url))).json()) as unknown[];
      expect(runs).toContainEqual(expect.objectContaining({ id: "demo", status: "completed" }));
      expect(existsSync(join(app, "runs", "demo", "events.jsonl"))).toBe(true);
      child.kill("SIGINT");
      expect((await cli.done).code).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  }, 60_000);

  it("is a library: `import(name)` gives defineScenario, with types", async () => {
    const name = JSON.stringify(NAME);
    const script = `const m = await import(${name}); console.log(typeof m.defineScenario);`;
    const out = await ok(process.execPath, ["--input-type=module", "-e", script], app);
    expect(out.trim()).toBe("function");
    // The types resolve through "exports" as a TypeScript user's would (NodeNext).
    writeFileSync(
      join(app, "check.mts"),
      [
        `import { defineScenario, type RunOptions } from ${name};`,
        "export const define: typeof defineScenario = defineScenario;",
        "export const options: RunOptions = {};",
        "",
      ].join("\n"),
    );
    const compilerOptions = {
      module: "nodenext",
      moduleResolution: "nodenext",
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    };
    const tsconfig = { compilerOptions, files: ["check.mts"] };
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify(tsconfig));
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    await ok(process.execPath, [tsc, "-p", app], app);
  }, 60_000);
});
