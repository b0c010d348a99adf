/**
 * The commit a run records: what `git rev-parse HEAD` says in the package's checkout, asked once
 * per process (a batch's runs would otherwise each block their thread's event loop on git).
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it, vi } from "vitest";

const calls = vi.hoisted(() => ({ git: 0 }));
vi.mock("node:child_process", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:child_process")>();
  return {
    ...actual,
    execFileSync: ((...args: Parameters<typeof actual.execFileSync>) => {
      if (args[0] === "git") calls.git++;
      return actual.execFileSync(...args);
    }) as typeof actual.execFileSync,
  };
});

// The setup file has loaded the module already, with the real child_process: load it afresh.
vi.resetModules();
const { gitCommit, PACKAGE_ROOT } = await import("../sim/core/version.js");

describe("gitCommit", () => {
  it("is the checkout's HEAD, asked of git once however many runs record it", () => {
    let head: string | null = null;
    try {
      head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: PACKAGE_ROOT }).toString().trim();
    } catch {
      // not a checkout: gitCommit is null too
    }
    calls.git = 0;
    const commits = Array.from({ length: 5 }, () => gitCommit());
    expect(commits).toEqual(Array.from({ length: 5 }, () => head));
    expect(calls.git).toBe(1);
  });
});
