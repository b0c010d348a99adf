/**
 * Secrets never leave the process: a key planted in a rejected config value, in a baseURL's query
 * string, in an endpoint's error messages (chat and embeddings) or on a bad line of a graph file
 * appears in no process output and no file written (run directories, batch tables, the cache).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, describe, expect, it } from "vitest";
import { maskSecrets } from "../sim/core/secrets.js";
import type { Manifest } from "../sim/core/recorder.js";
import { startFakeOpenAI } from "./support/fake-openai.js";
import {
  listFiles,
  llmConfig,
  readJson,
  runCli,
  tempDir,
  writeConfig,
  type CliResult,
} from "./support/llm-helpers.js";

const SECRET = "sk-PLANTED-SECRET-123";
/** What a grep looks for: also catches a key cut short or half starred. */
const MARK = "PLANTED";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function workDir(): string {
  const dir = tempDir("secrets");
  cleanups.push(dir.cleanup);
  return dir.path;
}

/** Every row of a parquet or CSV table, as JSON text (parquet pages may be compressed). */
async function tableText(path: string): Promise<string> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const reader = path.endsWith(".parquet") ? "read_parquet" : "read_csv";
    const rows = await connection.runAndReadAll(`SELECT * FROM ${reader}('${path}')`);
    return JSON.stringify(rows.getRowObjectsJson());
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Every file under `dirs` (tables read back through DuckDB too) and all output: none has MARK. */
async function expectNoSecret(dirs: string[], ...results: CliResult[]): Promise<void> {
  for (const result of results) {
    expect(result.stdout).not.toContain(MARK);
    expect(result.stderr).not.toContain(MARK);
  }
  for (const file of dirs.filter((dir) => existsSync(dir)).flatMap((dir) => listFiles(dir))) {
    expect(readFileSync(file).includes(MARK), file).toBe(false);
    if (/\.(parquet|csv)$/.test(file)) expect(await tableText(file), file).not.toContain(MARK);
  }
}

const donor = (extra: Record<string, unknown>) => ({
  scenario: "donor-game",
  generations: 1,
  population: { size: 4, minds: [{ count: 4, profile: "m" }] },
  ...extra,
});

/**
 * `agora validate` and `agora run` both refuse the config (exit 2) naming `field`, print nothing of
 * the key and write nothing at all.
 */
async function expectRefused(config: Record<string, unknown>, field: string): Promise<void> {
  const dir = workDir();
  const path = writeConfig(dir, "config.yaml", config);
  const out = join(dir, "out");
  const validated = await runCli(["validate", path]);
  const run = await runCli(["run", path, "--out", out]);
  for (const result of [validated, run]) {
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`config error: ${field}: got `);
  }
  await expectNoSecret([], validated, run);
  expect(existsSync(out)).toBe(false);
}

describe("config errors", () => {
  it.for([
    [
      "profiles.m.apiKeyEnv",
      "the key itself where its variable's name belongs",
      donor({ profiles: { m: { model: "x", apiKeyEnv: SECRET } } }),
    ],
    [
      "profiles.m.apiKey",
      "a key under a name that does not exist (not key-shaped: masked for its name)",
      donor({ profiles: { m: { model: "x", apiKey: "hunter2-PLANTED" } } }),
    ],
    [
      "population.minds.0.token",
      "a token beside a profile",
      donor({
        profiles: { m: { model: "x" } },
        population: { size: 4, minds: [{ count: 4, profile: "m", token: "PLANTED-t0k3n" }] },
      }),
    ],
    ["scenario", "a key as the scenario", donor({ scenario: SECRET })],
  ] as const)("%s (%s) is refused without being printed", async ([field, , config]) => {
    await expectRefused(config, field);
  });
});

describe("baseURL credentials", () => {
  const withURL = (baseURL: string) => donor({ profiles: { m: { model: "x", baseURL } } });

  it.for([
    `http://127.0.0.1:9/v1?password=${SECRET}`,
    "https://example.com/openai?api-version=2024-06-01&sig=PLANTED-signature",
    "http://user:PLANTED-password@127.0.0.1:9/v1",
    "http://127.0.0.1:9/v1?x-api-key=PLANTED-key",
    `http://127.0.0.1:9/v1?q=${SECRET}`,
  ])("%s is refused at validation, and not printed", async (baseURL) => {
    await expectRefused(withURL(baseURL), "profiles.m.baseURL");
  });

  it("an inline llm profile's baseURL is checked the same way", async () => {
    await expectRefused(
      donor({
        population: {
          size: 4,
          minds: [{ count: 4, llm: { model: "x", baseURL: `http://h/v1?token=${SECRET}` } }],
        },
      }),
      "population.minds.0.llm.baseURL",
    );
  });

  it("a query string without credentials (Azure's api-version) is kept", async () => {
    const dir = workDir();
    const baseURL = "https://example.com/openai?api-version=2024-06-01";
    const path = writeConfig(dir, "ok.yaml", withURL(baseURL));
    const result = await runCli(["validate", path]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(baseURL);
  });
});

describe("endpoint errors", () => {
  it("a key the endpoint echoes (whole, half starred, in a retried error) reaches no output, manifest, event or batch table", async () => {
    const dir = workDir();
    const fake = await startFakeOpenAI({
      script: (_req, index) =>
        index === 0
          ? {
              status: 429,
              headers: { "retry-after-ms": "1" },
              body: { error: { message: `Rate limit reached for key ${SECRET}` } },
            }
          : {
              status: 401,
              body: {
                error: {
                  message: `Incorrect API key provided: ${SECRET} (sk-PLANTED-SE*****-123).`,
                  code: "invalid_api_key",
                },
              },
            },
    });
    cleanups.push(() => fake.close());
    const config = llmConfig({
      baseURL: fake.baseURL,
      cacheDir: join(dir, "cache"),
      size: 2,
      generations: 1,
      maxRetries: 2,
      // One call at a time: the retried call is the first, and its retry line is printed.
      extra: { llm: { maxConcurrency: 1 } },
    });
    const path = writeConfig(dir, "llm.yaml", config);
    const out = join(dir, "batch");
    const result = await runCli(["batch", path, "--seeds", "0", "--out", out], {
      FAKE_KEY: SECRET,
    });
    expect(result.code).toBe(1);
    expect(fake.requests.length).toBeGreaterThanOrEqual(2);
    expect(result.stderr).toMatch(/retry 1 .* Rate limit reached for key \[fake key\]/);
    const [run] = readJson<{ runs: { id: string }[] }>(join(out, "batch.json")).runs;
    const manifest = readJson<Manifest>(join(out, "runs", run!.id, "manifest.json"));
    // The error still says what went wrong and where.
    expect(manifest.error).toContain("401 Incorrect API key provided: [fake key] ([redacted])");
    expect(existsSync(join(out, "runs.parquet"))).toBe(true);
    await expectNoSecret([dir], result);
  });

  it("an embeddings endpoint echoing the key does not put it in the run's error", async () => {
    const dir = workDir();
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${SECRET}` } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const path = writeConfig(dir, "embed.yaml", {
      scenario: "transmission",
      generations: 1,
      population: { size: 3, minds: [{ count: 3, policy: "text-operators" }] },
      graph: { type: "cycle" },
      profiles: {
        emb: {
          model: "embed-model",
          baseURL: `http://127.0.0.1:${port}/v1`,
          apiKeyEnv: "EMB_KEY",
          maxRetries: 0,
        },
      },
      cache: { dir: join(dir, "cache") },
      transmission: { metrics: { embeddings: "emb" } },
    });
    const out = join(dir, "run");
    const result = await runCli(["run", path, "--out", out], { EMB_KEY: SECRET });
    expect(result.code).toBe(1);
    const manifest = readJson<Manifest>(join(out, "manifest.json"));
    expect(manifest.error).toContain("Incorrect API key provided: [emb key]");
    await expectNoSecret([dir], result);
  });
});

describe("graph-file errors", () => {
  it.for([
    ["graph.txt", `1 2\n3 ${SECRET} hunter2-PLANTED 9\n2 3\n`, "line 2: expected"],
    ["graph.txt", `1 2\n2 3 PLANTED-weight\n`, "line 2: the weight"],
    ["graph.json", `{"nodes": [${SECRET}]}`, "invalid JSON"],
    ["graph.json", `{"nodes": []}\n${SECRET}`, "invalid JSON at line 2, column 1"],
  ] as const)(
    "%s with the key on a bad line: the error names the line, not its content",
    async ([name, text, says]) => {
      const dir = workDir();
      writeFileSync(join(dir, name), text);
      const path = writeConfig(dir, "config.yaml", {
        scenario: "donor-game",
        generations: 1,
        population: { size: 4, minds: [{ count: 4, policy: "defect" }] },
        graph: { type: "file", path: name },
      });
      const validated = await runCli(["validate", path]);
      const run = await runCli(["run", path, "--out", join(dir, "out")]);
      for (const result of [validated, run]) {
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toContain("config error: graph.path: got ");
        expect(result.stderr).toContain(says);
      }
      // The graph file itself holds the key; nothing else may.
      await expectNoSecret([join(dir, "out")], validated, run);
    },
  );
});

describe("maskSecrets", () => {
  it.for([
    ["Bearer sk-abc123456789 failed", "[redacted] failed"],
    [
      "see https://u:pw@host/v1?api-version=1&sig=xyz&key=k",
      "see https://[redacted]@host/v1?api-version=1&sig=[redacted]&key=[redacted]",
    ],
    ["token hf_abcdefghijkl and ghp_abcdefghijkl", "token [redacted] and [redacted]"],
  ] as const)("%j -> %j", ([text, masked]) => {
    expect(maskSecrets(text)).toBe(masked);
  });

  it("masks known values, and leaves counts and ordinary words alone", () => {
    expect(maskSecrets("echo: plainsecretvalue", ["plainsecretvalue"])).toBe("echo: [redacted]");
    const plain =
      "maxTokens=512 over 3 attempts: task-sk-style words, http://sk-gpu-node-1:8000/v1?api-version=2024";
    expect(maskSecrets(plain)).toBe(plain);
  });
});
