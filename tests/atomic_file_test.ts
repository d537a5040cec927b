/** Atomic file replacement: a temporary file beside the target, then a rename. */

import assert from "node:assert/strict";
import { writeFileAtomically } from "../src/atomic_file.ts";
import { realFileWriter, tempDir } from "./helpers.ts";

Deno.test("the write goes through a temporary file beside the target, then a rename", async () => {
  const ops: string[] = [];
  await writeFileAtomically("/m/out.prom", "x", {
    writeTextFile: (path) => (ops.push(`write ${path}`), Promise.resolve()),
    rename: (from, to) => (ops.push(`rename ${from} ${to}`), Promise.resolve()),
    remove: (path) => (ops.push(`remove ${path}`), Promise.resolve()),
  });
  assert.match(ops[0], /^write \/m\/out\.prom\.[0-9a-f]{8}\.tmp$/);
  assert.equal(ops[1], `rename ${ops[0].slice(6)} /m/out.prom`);
  assert.equal(ops.length, 2);
});

Deno.test("a failing write or rename removes the temporary file and rejects with its error", async (t) => {
  for (const failing of ["writeTextFile", "rename"] as const) {
    await t.step(failing, async () => {
      const removed: string[] = [];
      const written: string[] = [];
      await assert.rejects(
        writeFileAtomically("/m/out.prom", "x", {
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
