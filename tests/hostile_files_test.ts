/**
 * Files that never end, block, or are not files (issue 10, items 8 and 9): the key file, `.env`
 * and `--data` must be regular files of bounded size, read without blocking, and the metrics file
 * is never replaced when something else is at its path. Real FIFOs, symbolic links, directories,
 * `/dev/zero` and `/proc` files, through `src/cli/real_io.ts`'s own reader and file writer.
 */

import assert from "node:assert/strict";
import { readTextFile } from "../src/cli/real_io.ts";
import { FileRefused } from "../src/errors.ts";
import { startMockServer } from "../src/mock/server.ts";
import { type CliOptions, type RunResult, spawnCli, spawnProcess } from "./cli_process.ts";
import { runMain } from "./in_process.ts";
import { realFileWriter, tempDir } from "./helpers.ts";

const KEY = "SENTINEL-hostile-key-e5f6";
const linux = Deno.build.os === "linux";

/** A disposable FIFO at `path`. */
interface Fifo extends AsyncDisposable {
  readonly path: string;
  /** How many times a reader has opened it so far (each open is met by the writer below). */
  opens(): Promise<number>;
}

/**
 * Makes a FIFO at `path`, and a writer that opens it and closes it at once, again and again,
 * counting each open: a reader that did open it gets an empty file instead of hanging, and the
 * count says it opened it — no clock involved.
 */
async function makeFifo(path: string): Promise<Fifo> {
  await using made = spawnProcess("mkfifo", [path]);
  const { code, stderr } = await made.output();
  assert.equal(code, 0, stderr);
  const count = await Deno.makeTempFile({ prefix: "outage-sync-fifo-opens-" });
  // The open for writing blocks until a reader opens the FIFO; SIGTERM ends bash there at once.
  const script = 'while :; do : 3>"$1"; echo >>"$2"; done';
  const writer = spawnProcess("bash", ["-c", script, "bash", path, count]);
  return {
    path,
    opens: async () => (await Deno.readTextFile(count)).length,
    async [Symbol.asyncDispose]() {
      await writer[Symbol.asyncDispose]();
      await Deno.remove(count);
    },
  };
}

/** Asserts that `readTextFile(path, maxBytes)` refuses at once, for `reason`. */
function assertRefused(path: string, maxBytes: number, reason: string) {
  let caught: unknown;
  try {
    caught = readTextFile(path, maxBytes);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof FileRefused, `expected FileRefused, got ${String(caught)}`);
  assert.equal(caught.path, path);
  assert.equal(caught.reason, reason);
  assert.equal(caught.message, `"${path}" ${reason}`);
}

Deno.test("readTextFile: a regular file, or a symbolic link to one, is read; nothing there is undefined", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/key`, "abc\n");
  await Deno.symlink(`${dir.path}/key`, `${dir.path}/link`);
  assert.equal(readTextFile(`${dir.path}/key`, 4), "abc\n", "exactly the limit is allowed");
  assert.equal(readTextFile(`${dir.path}/link`, 4096), "abc\n");
  assert.equal(readTextFile(`${dir.path}/missing`, 4096), undefined);
  await Deno.symlink(`${dir.path}/nothing`, `${dir.path}/dangling`);
  assert.equal(readTextFile(`${dir.path}/dangling`, 4096), undefined);
});

Deno.test("readTextFile refuses a FIFO, a link to one, a device and a directory at once, unopened", async () => {
  await using dir = await tempDir();
  await using fifo = await makeFifo(`${dir.path}/fifo`);
  await Deno.symlink(fifo.path, `${dir.path}/link-to-fifo`);
  assertRefused(fifo.path, 4096, "is a FIFO (named pipe), not a regular file");
  assertRefused(
    `${dir.path}/link-to-fifo`,
    4096,
    "is a symbolic link to a FIFO (named pipe), not a regular file",
  );
  assertRefused("/dev/zero", 4096, "is a character device, not a regular file");
  assertRefused("/dev/urandom", 4096, "is a character device, not a regular file");
  assertRefused(dir.path, 4096, "is a directory, not a regular file");
  assert.ok((await Deno.lstat(fifo.path)).isFifo);
  assert.equal(await fifo.opens(), 0, "the FIFO was opened");
});

Deno.test("readTextFile reads at most maxBytes + 1 bytes: larger files are refused by size", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/big`;
  await Deno.writeFile(path, new Uint8Array(5 * 1024 * 1024));
  assertRefused(path, 4096, "is 5 MiB, more than the 4 KiB limit");
  await Deno.truncate(path, 1024 * 1024 + 1);
  assertRefused(path, 1024 * 1024, "is 1048577 bytes, more than the 1 MiB limit");
  await Deno.truncate(path, 4097);
  assertRefused(path, 4096, "is 4097 bytes, more than the 4 KiB limit");
});

Deno.test({
  name: "readTextFile bounds the read itself, whatever the stat says: a /proc file of size 0",
  ignore: !linux,
  fn: () => {
    const path = "/proc/self/status";
    assert.equal(Deno.statSync(path).size, 0);
    assert.ok(readTextFile(path, 64 * 1024)!.startsWith("Name:"));
    assertRefused(path, 16, "is larger than the 16 bytes limit");
  },
});

/** Runs a command in process with `src/cli/real_io.ts`'s real reader and file writer. */
function runWithRealFiles(args: string[], env: Record<string, string> = {}) {
  return runMain(args, env, { readTextFile, fs: realFileWriter });
}

/** Asserts a usage error: exit 2, `message` and `hint` on stderr, nothing on stdout. */
function assertUsage(
  result: { code: number; stdout: string; stderr: string },
  message: string,
  hint: string,
) {
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr, `outage-sync: ${message}\n${hint}\n`);
  assert.equal(result.stdout, "");
}

const KEY_HINT = "A key file must be a regular file of at most 4 KiB that holds only the key.";

Deno.test("the API key file: a FIFO, /dev/zero, a directory, a link to a FIFO or 5 MiB → exit 2 at once", async () => {
  await using dir = await tempDir();
  await using fifo = await makeFifo(`${dir.path}/key.fifo`);
  await Deno.symlink(fifo.path, `${dir.path}/key.link`);
  await Deno.writeFile(`${dir.path}/key.big`, new Uint8Array(5 * 1024 * 1024).fill(65));
  const check = (file: string) => runWithRealFiles(["check", "--api-key-file", file]);
  assertUsage(
    await check(fifo.path),
    `Cannot read the API key file "${fifo.path}" (--api-key-file): it is a FIFO (named pipe), not a regular file`,
    KEY_HINT,
  );
  assertUsage(
    await check(`${dir.path}/key.link`),
    `Cannot read the API key file "${dir.path}/key.link" (--api-key-file): it is a symbolic link to a FIFO (named pipe), not a regular file`,
    KEY_HINT,
  );
  assertUsage(
    await check(dir.path),
    `Cannot read the API key file "${dir.path}" (--api-key-file): it is a directory, not a regular file`,
    KEY_HINT,
  );
  assertUsage(
    await check(`${dir.path}/key.big`),
    `Cannot read the API key file "${dir.path}/key.big" (--api-key-file): it is 5 MiB, more than the 4 KiB limit`,
    KEY_HINT,
  );
  assertUsage(
    await runWithRealFiles(["check"], { KRAKENFLEX_API_KEY_FILE: "/dev/zero" }),
    `Cannot read the API key file "/dev/zero" (KRAKENFLEX_API_KEY_FILE (environment)): it is a character device, not a regular file`,
    KEY_HINT,
  );
  assert.equal(await fifo.opens(), 0, "the FIFO was opened");
});

Deno.test("the API key file: a symbolic link to a regular file is read", async () => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/key`, `${KEY}\n`);
  await Deno.symlink(`${dir.path}/key`, `${dir.path}/key.link`);
  const result = await runWithRealFiles([
    "check",
    "--base-url",
    server.url,
    "--api-key-file",
    `${dir.path}/key.link`,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(server.api.requests().every((entry) => entry.keyPresent && entry.status === 200));
});

const ENV_HINT = "The env file must be a regular file of at most 1 MiB.";

Deno.test("--env-file: a FIFO, /dev/urandom or more than 1 MiB → exit 2 at once", async () => {
  await using dir = await tempDir();
  await using fifo = await makeFifo(`${dir.path}/env.fifo`);
  const big = `${dir.path}/big.env`;
  const text = `# ${"x".repeat(1024 * 1024)}\nKRAKENFLEX_API_KEY=${KEY}\n`;
  await Deno.writeTextFile(big, text);
  const check = (file: string) => runWithRealFiles(["check", "--env-file", file]);
  assertUsage(
    await check(fifo.path),
    `Cannot read the env file "${fifo.path}": it is a FIFO (named pipe), not a regular file`,
    ENV_HINT,
  );
  assertUsage(
    await check("/dev/urandom"),
    `Cannot read the env file "/dev/urandom": it is a character device, not a regular file`,
    ENV_HINT,
  );
  assertUsage(
    await check(big),
    `Cannot read the env file "${big}": it is ${text.length} bytes, more than the 1 MiB limit`,
    ENV_HINT,
  );
  assert.equal(await fifo.opens(), 0, "the FIFO was opened");
});

Deno.test("mock-api --data: a FIFO or a directory → exit 2 at once", async () => {
  await using dir = await tempDir();
  await using fifo = await makeFifo(`${dir.path}/data.fifo`);
  const hint = "The --data file must be a regular file of at most 2 GiB.";
  const serve = (file: string) => runWithRealFiles(["mock-api", "--data", file, "--api-key", KEY]);
  assertUsage(
    await serve(fifo.path),
    `Cannot read "--data" file "${fifo.path}": it is a FIFO (named pipe), not a regular file`,
    hint,
  );
  assertUsage(
    await serve(dir.path),
    `Cannot read "--data" file "${dir.path}": it is a directory, not a regular file`,
    hint,
  );
  assert.equal(await fifo.opens(), 0, "the FIFO was opened");
});

/** Runs the program as a subprocess, killed (SIGKILL) if it is still running after `ms`. */
async function runCliWithin(args: string[], options: CliOptions, ms: number): Promise<RunResult> {
  await using child = spawnCli(args, options);
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  try {
    return await child.output();
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("subprocess: --api-key-file naming a FIFO ends with exit 2, and ./.env as a directory too", async () => {
  await using dir = await tempDir();
  await using fifo = await makeFifo(`${dir.path}/key.fifo`);
  const keyFile = await runCliWithin(["sync", "--api-key-file", fifo.path], {}, 10_000);
  assert.equal(keyFile.code, 2, keyFile.stderr);
  assert.equal(
    keyFile.stderr,
    `outage-sync: Cannot read the API key file "${fifo.path}" (--api-key-file): it is a FIFO (named pipe), not a regular file\n${KEY_HINT}\n`,
  );
  assert.equal(await fifo.opens(), 0, "the FIFO was opened");

  await Deno.mkdir(`${dir.path}/.env`);
  const dotEnv = await runCliWithin(["check"], { cwd: dir.path }, 10_000);
  assert.equal(dotEnv.code, 2, dotEnv.stderr);
  assert.equal(
    dotEnv.stderr,
    `outage-sync: Cannot read the env file ".env": it is a directory, not a regular file\n${ENV_HINT}\n`,
  );
});

Deno.test("--metrics-file naming a FIFO, a symbolic link or a directory: refused before any request, exit 2", async (t) => {
  await using server = await startMockServer({ apiKey: KEY, port: 0 });
  await using dir = await tempDir();
  const elsewhere = `${dir.path}/elsewhere.txt`;
  await Deno.writeTextFile(elsewhere, "keep me\n");
  await using fifo = await makeFifo(`${dir.path}/fifo.prom`);
  await Deno.symlink(elsewhere, `${dir.path}/link.prom`);
  await Deno.mkdir(`${dir.path}/dir.prom`);
  const before = [...Deno.readDirSync(dir.path)].map((entry) => entry.name).sort();
  const cases = [
    [fifo.path, "a FIFO (named pipe)"],
    [`${dir.path}/link.prom`, "a symbolic link"],
    [`${dir.path}/dir.prom`, "a directory"],
  ];
  for (const [path, what] of cases) {
    await t.step(`in process: ${what}`, async () => {
      const posts = () => server.api.requests().filter((e) => e.method === "POST").length;
      const posted = posts();
      const result = await runWithRealFiles(
        ["sync", "--base-url", server.url, "--metrics-file", path],
        { KRAKENFLEX_API_KEY: KEY },
      );
      assert.equal(result.code, 2, result.stderr);
      assert.equal(posts(), posted);
      const logged = result.stderr.split("\n").filter((line) => line.includes("metrics file"));
      assert.equal(logged.length, 1, result.stderr);
      assert.match(logged[0], /Cannot write the metrics file/);
      assert.ok(
        logged[0].includes(`is ${what}, not a regular file; refusing to replace it`),
        logged[0],
      );
    });
  }
  await t.step("subprocess: a FIFO, ending at once", async () => {
    const result = await runCliWithin(
      ["sync", "--base-url", server.url, "--metrics-file", fifo.path],
      {
        env: { KRAKENFLEX_API_KEY: KEY },
        permissions: [
          "--allow-net=127.0.0.1",
          "--allow-env",
          "--allow-read",
          `--allow-write=${dir.path}`,
        ],
      },
      10_000,
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /Cannot write the metrics file.*is a FIFO \(named pipe\)/);
  });
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((entry) => entry.name).sort(), before);
  assert.ok((await Deno.lstat(fifo.path)).isFifo);
  assert.equal(await fifo.opens(), 0, "the FIFO was opened");
  assert.ok((await Deno.lstat(`${dir.path}/link.prom`)).isSymlink);
  assert.ok((await Deno.lstat(`${dir.path}/dir.prom`)).isDirectory);
  assert.equal(await Deno.readTextFile(elsewhere), "keep me\n");
});
