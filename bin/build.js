#!/usr/bin/env node
/**
 * The JavaScript half of `npm run build` (the viewer is the other half, `npm run build:viewer`):
 *
 * 1. compiles sim/, agents/ and scenarios/ to dist/ (JavaScript and .d.ts) with
 *    `tsc --build tsconfig.build.json`, which is incremental: with nothing to do it takes well
 *    under a second;
 * 2. copies the files the code reads at run time beside the compiled modules (every file of those
 *    folders that is not TypeScript or a test: prompts/*.md, data/**, example *.yaml, READMEs);
 * 3. deletes what no source produces any more (the output of a removed module or asset), so a
 *    removed scenario does not linger in dist/scenarios;
 * 4. stamps dist/.build-stamp with the time the build started, which bin/agora.js compares with
 *    the sources' modification times to tell a fresh build from a stale one.
 *
 * Concurrent builds in one checkout (two test runs at once) wait for each other on
 * dist/.build-lock.
 * Usage: node bin/build.js [--allow-type-errors] (the tests' global setup runs it with the flag).
 */
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(ROOT, "dist");
/** The folders compiled by tsconfig.build.json, and the only ones assets are copied from. */
const SOURCE_DIRS = ["sim", "agents", "scenarios"];
const STAMP = join(DIST, ".build-stamp");
const LOCK = join(DIST, ".build-lock");
const TYPESCRIPT = /\.(?:ts|tsx|mts|cts)$/;
/** Tests and their fixtures stay out of the build (as in tsconfig.build.json). */
const isTest = (name) => /\.test\.[cm]?[jt]sx?$/.test(name);
const TEST_DIRS = new Set(["tests", "__tests__", "node_modules"]);
/** Compiled output and the TypeScript source it comes from. */
const OUTPUTS = [
  [/\.d\.ts(\.map)?$/, ".ts"],
  [/\.js(\.map)?$/, ".ts"],
  [/\.d\.mts(\.map)?$/, ".mts"],
  [/\.mjs(\.map)?$/, ".mts"],
  [/\.d\.cts(\.map)?$/, ".cts"],
  [/\.cjs(\.map)?$/, ".cts"],
];

/** Every file under `dir` (relative paths), skipping test folders. */
function walk(dir, base = dir, files = []) {
  if (!existsSync(dir)) return files;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!TEST_DIRS.has(entry.name)) walk(path, base, files);
    } else if (entry.isFile()) files.push(relative(base, path));
  }
  return files;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether the process `pid` runs (on this machine, where the lock was taken). */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/** Runs `action` holding dist/.build-lock, a file with the holder's pid (freed if it died). */
async function withLock(action) {
  mkdirSync(DIST, { recursive: true });
  let told = false;
  for (;;) {
    try {
      writeFileSync(LOCK, String(process.pid), { flag: "wx" });
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(LOCK, "utf8"));
      } catch (readError) {
        if (readError.code === "ENOENT") continue; // released meanwhile
      }
      // A lock without a pid is being written, or was left half-made if older than a second.
      const named = Number.isInteger(holder) && holder > 0;
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (named ? !alive(holder) : age > 1000) {
        rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      if (named && !told) {
        process.stderr.write(`build: waiting for the build in process ${holder}\n`);
        told = true;
      }
      await sleep(100);
    }
  }
  try {
    return await action();
  } finally {
    rmSync(LOCK, { force: true });
  }
}

/** Runs tsc; false when it reports errors (it still writes the JavaScript of modules with them). */
function compile() {
  const tsc = createRequire(join(ROOT, "package.json")).resolve("typescript/bin/tsc");
  const args = [tsc, "--build", "tsconfig.build.json"];
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: "inherit" });
  if (result.error) throw result.error;
  if (result.signal) throw new Error(`tsc was killed by ${result.signal}`);
  return result.status === 0;
}

/** Copies the source folders' other files into dist/ (when changed); returns their dist paths. */
function copyAssets() {
  const copied = new Set();
  for (const dir of SOURCE_DIRS) {
    for (const file of walk(join(ROOT, dir))) {
      if (TYPESCRIPT.test(file) || isTest(file)) continue;
      const from = join(ROOT, dir, file);
      const to = join(DIST, dir, file);
      copied.add(to);
      const source = statSync(from);
      const target = statSync(to, { throwIfNoEntry: false });
      if (target && target.size === source.size && target.mtimeMs === source.mtimeMs) continue;
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(from, to);
      utimesSync(to, source.atime, source.mtime);
    }
  }
  return copied;
}

/**
 * The TypeScript sources tsc compiles (the program's files listed in dist/.tsbuildinfo, excluded
 * ones included when a compiled module imports them), or null when that file cannot be read.
 */
function compiledModules() {
  try {
    const info = JSON.parse(readFileSync(join(DIST, ".tsbuildinfo"), "utf8"));
    if (!Array.isArray(info.fileNames)) return null;
    const modules = new Set();
    for (const name of info.fileNames) {
      const source = resolve(DIST, name);
      const rel = relative(ROOT, source);
      const outside = rel.startsWith("..") || rel.split(sep).includes("node_modules");
      if (!outside && /\.[cm]?ts$/.test(rel) && !/\.d\.[cm]?ts$/.test(rel)) modules.add(source);
    }
    return modules;
  } catch {
    return null;
  }
}

/** Deletes the files of dist/ that no compiled module and no asset of the sources produces. */
function prune(assets) {
  const modules = compiledModules();
  for (const top of readdirSync(DIST, { withFileTypes: true })) {
    if (!top.isDirectory() || top.name.startsWith(".")) continue;
    for (const file of walk(join(DIST, top.name))) {
      const path = join(DIST, top.name, file);
      if (assets.has(path)) continue;
      const output = OUTPUTS.find(([pattern]) => pattern.test(file));
      const source = output && join(ROOT, top.name, file).replace(output[0], output[1]);
      const produced = source !== undefined && (modules ? modules.has(source) : existsSync(source));
      if (!produced) rmSync(path);
    }
    removeEmptyDirs(join(DIST, top.name));
  }
}

function removeEmptyDirs(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeEmptyDirs(join(dir, entry.name));
  }
  if (readdirSync(dir).length === 0) rmdirSync(dir);
}

/**
 * Builds dist/. With `allowTypeErrors` (the tests' global setup: `npm test` type-checks on its own,
 * and tsx never did), type errors are reported but the build is kept, as tsc writes it anyway.
 */
export async function buildJs({ allowTypeErrors = false } = {}) {
  const startedAt = new Date();
  await withLock(() => {
    const typed = compile();
    if (!typed && !allowTypeErrors) throw new Error("tsc reported errors");
    if (!existsSync(join(DIST, "sim", "app", "cli", "main.js"))) {
      throw new Error("tsc wrote no dist/sim/app/cli/main.js");
    }
    prune(copyAssets());
    writeFileSync(STAMP, `${startedAt.toISOString()}\n`);
    utimesSync(STAMP, startedAt, startedAt);
    if (!typed) process.stderr.write("build: dist/ written despite the type errors above\n");
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const allowTypeErrors = process.argv.includes("--allow-type-errors");
    await buildJs({ allowTypeErrors });
  } catch (error) {
    process.stderr.write(`build: ${error.message}\n`);
    process.exitCode = 1;
  }
}
