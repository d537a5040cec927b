/** Atomic file replacement: a temporary file beside the target, then a rename; never a non-file. */

import assert from "node:assert/strict";
import { type FileKind, type FileWriter, writeFileAtomically } from "../src/atomic_file.ts";
import { FileRefused } from "../src/errors.ts";
import { runProcess } from "./cli_process.ts";
import { realFileWriter, tempDir } from "./helpers.ts";

/** A file writer that records its operations; `kind` answers `kind` for every path. */
function recordingWriter(kind: FileKind = "missing"): FileWriter & { ops: string[] } {
  const ops: string[] = [];
  return {
    ops,
    kind: (path) => (ops.push(`kind ${path}`), Promise.resolve(kind)),
    writeTextFile: (path) => (ops.push(`write ${path}`), Promise.resolve()),
    rename: (from, to) => (ops.push(`rename ${from} ${to}`), Promise.resolve()),
    remove: (path) => (ops.push(`remove ${path}`), Promise.resolve()),
  };
}

Deno.test("the write goes through a temporary file beside the target, then a rename", async () => {
  for (const kind of ["missing", "file"] as const) {
    const fs = recordingWriter(kind);
    await writeFileAtomically("/m/out.prom", "x", fs);
    const [looked, write, rename] = fs.ops;
    assert.equal(looked, "kind /m/out.prom");
    assert.match(write, /^write \/m\/out\.prom\.[0-9a-f]{8}\.tmp$/);
    assert.equal(rename, `rename ${write.slice(6)} /m/out.prom`);
    assert.equal(fs.ops.length, 3);
  }
});

Deno.test("anything but a regular file at the target is refused, nothing written", async () => {
  const words: Record<Exclude<FileKind, "file" | "missing">, string> = {
    directory: "a directory",
    symlink: "a symbolic link",
    fifo: "a FIFO (named pipe)",
    "character-device": "a character device",
    "block-device": "a block device",
    socket: "a socket",
    other: "a special file of an unknown kind",
  };
  for (const [kind, word] of Object.entries(words)) {
    const fs = recordingWriter(kind as FileKind);
    await assert.rejects(writeFileAtomically("/m/out.prom", "x", fs), (error) => {
      assert.ok(error instanceof FileRefused);
      assert.equal(error.path, "/m/out.prom");
      assert.equal(
        error.message,
        `"/m/out.prom" is ${word}, not a regular file; refusing to replace it`,
      );
      return true;
    });
    assert.deepEqual(fs.ops, ["kind /m/out.prom"], kind);
  }
});

Deno.test("a failing write or rename removes the temporary file and rejects with its error", async (t) => {
  for (const failing of ["writeTextFile", "rename"] as const) {
    await t.step(failing, async () => {
      const removed: string[] = [];
      const written: string[] = [];
      await assert.rejects(
        writeFileAtomically("/m/out.prom", "x", {
          kind: () => Promise.resolve("missing"),
          writeTextFile: (path) =>
            failing === "writeTextFile"
              ? Promise.reject(new Error("disk full"))
              : (written.push(path), Promise.resolve()),
          rename: () => Promise.reject(new Error("disk full")),
          remove: (path) => (removed.push(path), Promise.resolve()),
        }),
        /disk full/,
      );
      assert.equal(removed.length, 1);
      assert.match(removed[0], /^\/m\/out\.prom\.[0-9a-f]{8}\.tmp$/);
      if (failing === "rename") assert.deepEqual(written, removed);
    });
  }

  await t.step("a failing clean-up does not hide the first error", async () => {
    await assert.rejects(
      writeFileAtomically("/m/out.prom", "x", {
        kind: () => Promise.resolve("missing"),
        writeTextFile: () => Promise.reject(new Error("disk full")),
        rename: () => Promise.resolve(),
        remove: () => Promise.reject(new Deno.errors.NotFound("gone")),
      }),
      /disk full/,
    );
  });
});

Deno.test("on disk: the file is replaced whole, and no temporary file is left", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/outage_sync.prom`;
  await writeFileAtomically(path, "first\n", realFileWriter);
  await writeFileAtomically(path, "second\n", realFileWriter);
  assert.equal(await Deno.readTextFile(path), "second\n");
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((entry) => entry.name), [
    "outage_sync.prom",
  ]);
});

Deno.test("on disk: a symbolic link, a FIFO or a directory at the target is left as it is", async (t) => {
  await using dir = await tempDir();
  const target = `${dir.path}/elsewhere.txt`;
  await Deno.writeTextFile(target, "not metrics\n");
  const cases: [string, string, () => Promise<void>, (path: string) => Promise<void>][] = [
    [
      "symlink to a regular file",
      "a symbolic link",
      async () => await Deno.symlink(target, `${dir.path}/symlink.prom`),
      async (path) => {
        assert.ok((await Deno.lstat(path)).isSymlink);
        assert.equal(await Deno.readLink(path), target);
        assert.equal(await Deno.readTextFile(target), "not metrics\n", "the target is untouched");
      },
    ],
    [
      "symlink to nowhere",
      "a symbolic link",
      async () => await Deno.symlink(`${dir.path}/nothing`, `${dir.path}/dangling.prom`),
      async (path) => {
        assert.ok((await Deno.lstat(path)).isSymlink);
        await assert.rejects(Deno.lstat(`${dir.path}/nothing`), Deno.errors.NotFound);
      },
    ],
    [
      "FIFO",
      "a FIFO (named pipe)",
      async () => {
        const made = await runProcess("mkfifo", [`${dir.path}/fifo.prom`]);
        assert.equal(made.code, 0, made.stderr);
      },
      async (path) => assert.ok((await Deno.lstat(path)).isFifo),
    ],
    [
      "directory",
      "a directory",
      async () => await Deno.mkdir(`${dir.path}/directory.prom`),
      async (path) => assert.deepEqual(await Array.fromAsync(Deno.readDir(path)), []),
    ],
  ];
  for (const [name, word, make, unchanged] of cases) {
    await t.step(name, async () => {
      const before = new Set([...Deno.readDirSync(dir.path)].map((entry) => entry.name));
      await make();
      const added = [...Deno.readDirSync(dir.path)].map((e) => e.name).filter((n) =>
        !before.has(n)
      );
      assert.equal(added.length, 1);
      const path = `${dir.path}/${added[0]}`;
      await assert.rejects(
        writeFileAtomically(path, "metrics\n", realFileWriter),
        (error) => {
          assert.ok(error instanceof FileRefused);
          assert.equal(
            error.message,
            `"${path}" is ${word}, not a regular file; refusing to replace it`,
          );
          return true;
        },
      );
      await unchanged(path);
      const after = [...Deno.readDirSync(dir.path)].map((entry) => entry.name);
      assert.deepEqual(after.filter((n) => n.endsWith(".tmp")), [], "no temporary file is left");
      assert.equal(after.length, before.size + 1);
    });
  }
});
