/**
 * A real `redis-server` for the queue tests and benchmarks: started on a free loopback port with no
 * persistence, ready once it answers PING, killed by `stop()`. `down()` and `up()` take it away and
 * bring it back on the same port, with its data (saved on the way down) or empty, as a Redis that
 * restarts does. A missing binary is an error (the queue tests must fail, never skip, where Redis
 * is not installed: `.ci/run` installs it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REDIS_SERVER = process.env.REDIS_SERVER ?? "/usr/bin/redis-server";

export interface RedisServer {
  port: number;
  url: string;
  /** Kills the server for good and removes its data directory. */
  stop(): Promise<void>;
  /**
   * Takes the server away: `keepData` shuts it down saving its data (SHUTDOWN SAVE, which keeps
   * the keys' expiry times), otherwise it is killed (SIGKILL) and its data is gone.
   */
  down(options: { keepData: boolean }): Promise<void>;
  /** Starts it again on the same port, with the data `down` kept, or empty. */
  up(): Promise<void>;
}

/** A port that was free a moment ago (the kernel's choice for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends one inline command and resolves with the first reply line ("" when none came). */
function send(port: number, command: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    const done = () => {
      socket.destroy();
      resolve(reply.split("\r\n")[0] ?? "");
    };
    socket.setTimeout(500, done);
    socket.once("error", done);
    socket.once("close", done);
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      if (reply.includes("\r\n")) done();
    });
    socket.once("connect", () => socket.write(`${command}\r\n`));
  });
}

const ping = async (port: number): Promise<boolean> => (await send(port, "PING")) === "+PONG";

interface Process {
  child: ChildProcess;
  exited: Promise<void>;
  output: () => string;
}

function spawnServer(port: number, dir: string): Process {
  const child = spawn(
    REDIS_SERVER,
    [
      ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      ...["--dir", dir, "--dbfilename", "dump.rdb"],
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, exited, output: () => output };
}

const running = (p: Process) => p.child.exitCode === null && p.child.signalCode === null;

async function kill(p: Process): Promise<void> {
  if (running(p)) p.child.kill("SIGKILL");
  await p.exited;
}

async function ready(p: Process, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!running(p))
      throw new Error(
        `redis-server exited (${p.child.exitCode}) before answering PING:\n${p.output()}`,
      );
    if (await ping(port)) return;
    if (Date.now() > deadline) {
      await kill(p);
      throw new Error(
        `redis-server on port ${port} did not answer PING within ${timeoutMs} ms:\n${p.output()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startRedis(timeoutMs = 10_000): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(
      `${REDIS_SERVER} not found: the queue tests need a real redis-server (Debian package redis-server; .ci/run installs it)`,
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "agora-redis-"));
  let server = spawnServer(port, dir);
  try {
    await ready(server, port, timeoutMs);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await kill(server);
      rmSync(dir, { recursive: true, force: true });
    },
    async down({ keepData }) {
      if (!running(server)) throw new Error(`redis-server on port ${port} is already down`);
      if (keepData) {
        await send(port, "SHUTDOWN SAVE");
        await server.exited;
        if (server.child.exitCode !== 0)
          throw new Error(`redis-server did not shut down cleanly:\n${server.output()}`);
        if (!existsSync(join(dir, "dump.rdb")))
          throw new Error(`redis-server saved no data in ${dir}:\n${server.output()}`);
      } else {
        await kill(server);
        rmSync(join(dir, "dump.rdb"), { force: true });
      }
    },
    async up() {
      if (running(server)) throw new Error(`redis-server on port ${port} is already up`);
      server = spawnServer(port, dir);
      await ready(server, port, timeoutMs);
    },
  };
}
