/**
 * The state directory end to end (issue "Change detection"): real files in a temporary directory,
 * a scripted API whose outages the test changes between runs, the program in process.
 */

import assert from "node:assert/strict";
import type { CliIo } from "../src/cli/io.ts";
import { readTextFile, stateFiles } from "../src/cli/real_io.ts";
import { openStateDir } from "../src/cli/state_store.ts";
import { payloadDigest, STATE_FORMAT, stateFileName } from "../src/state.ts";
import { memoryLogger, realFileWriter, realOutages, realSiteInfo, tempDir } from "./helpers.ts";
import { runProcess } from "./cli_process.ts";
import { runMain } from "./in_process.ts";
import { parsePrometheus } from "./prometheus.ts";
import { json, type ScriptedServer, startScriptedServer } from "./scripted_server.ts";

const KEY = "SENTINEL-state-key-3c9b";
const SITE = "norwich-pear-tree";

/** An API whose outages can change between runs; it records the POSTs it accepted. */
function api(): ScriptedServer & { outages: unknown[]; posts: unknown[][] } {
  const state = { outages: [...realOutages] as unknown[], posts: [] as unknown[][] };
  const server = startScriptedServer((_request, seen) => {
    if (seen.path === "/outages") return json(state.outages);
    if (seen.method === "GET") return json(realSiteInfo);
    state.posts.push(JSON.parse(seen.body));
    return json({});
  });
  return Object.assign(server, state) as ScriptedServer & {
    outages: unknown[];
    posts: unknown[][];
  };
}

function sync(url: string, dir: string, args: string[] = []) {
  return runMain(["--base-url", url, "--state-dir", dir, ...args], { KRAKENFLEX_API_KEY: KEY }, {
    fs: realFileWriter,
    readTextFile,
    stateFiles,
  });
}

Deno.test("state: an identical second run posts nothing; a change posts and says what changed", async () => {
  await using server = api();
  await using dir = await tempDir();
  const first = await sync(server.url, dir.path);
  assert.equal(first.code, 0, first.stderr);
  assert.match(
    first.stdout,
    /^posted +norwich-pear-tree .*10 outages posted \(never posted before\)/m,
  );
  const file = `${dir.path}/${await stateFileName(SITE)}`;
  assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
  assert.equal((await Deno.stat(dir.path)).isDirectory, true);

  const second = await sync(server.url, dir.path, ["--json"]);
  assert.equal(second.code, 0);
  const report = JSON.parse(second.stdout);
  assert.equal(report.sites[0].status, "unchanged");
  assert.deepEqual(report.sites[0].changes.added, 0);
  assert.equal(server.posts.length, 1, "the second run posted nothing");

  // One outage of the site gone, one new: posted, and the report says 1 added, 1 removed.
  const device = realSiteInfo.devices[0].id;
  const kept = server.outages.findIndex((o) =>
    (o as { id: string; begin: string }).id === device && (o as { begin: string }).begin >= "2022"
  );
  server.outages.splice(kept, 1);
  server.outages.push({
    id: device,
    begin: "2023-05-01T00:00:00.000Z",
    end: "2023-05-02T00:00:00.000Z",
  });
  const third = await sync(server.url, dir.path, ["-v"]);
  assert.equal(third.code, 0);
  assert.match(
    third.stdout,
    /^posted +norwich-pear-tree .*10 outages posted \(1 added, 1 removed\)/m,
  );
  assert.match(third.stdout, /^\+ .* 2023-05-01T00:00:00\.000Z \.\. 2023-05-02T00:00:00\.000Z$/m);
  assert.equal(server.posts.length, 2);
});

Deno.test("state: --repost-after, --force and a changed cut-off post an identical payload", async () => {
  await using server = api();
  await using dir = await tempDir();
  assert.equal((await sync(server.url, dir.path)).code, 0);
  assert.equal(server.posts.length, 1);
  await sync(server.url, dir.path);
  assert.equal(server.posts.length, 1, "unchanged: not posted");
  await sync(server.url, dir.path, ["--force"]);
  assert.equal(server.posts.length, 2, "--force");
  await sync(server.url, dir.path, ["--repost-after", "0"]);
  assert.equal(server.posts.length, 3, "--repost-after 0");
  // The last POST is made an hour old: with --repost-after 30m it is posted again.
  const file = `${dir.path}/${await stateFileName(SITE)}`;
  const saved = JSON.parse(await Deno.readTextFile(file));
  saved.postedAt = new Date(Date.now() - 3_600_000).toISOString();
  await Deno.writeTextFile(file, JSON.stringify(saved));
  await sync(server.url, dir.path, ["--repost-after", "30m"]);
  assert.equal(server.posts.length, 4, "older than --repost-after");
  const moved = await sync(server.url, dir.path, ["--since", "2022-01-01T00:00:00.001Z"]);
  assert.equal(server.posts.length, 5, "another cut-off");
  assert.match(moved.stdout, /^posted /m);
});

Deno.test("state: a corrupt, cut-short or foreign state file is a warning, the site posted, the file rewritten", async () => {
  await using server = api();
  await using dir = await tempDir();
  const file = `${dir.path}/${await stateFileName(SITE)}`;
  await sync(server.url, dir.path);
  const good = await Deno.readTextFile(file);
  const bad = [
    good.slice(0, 100),
    good.replace("outage-sync-state/1", "outage-sync-state/0"),
    "{}",
  ];
  for (const [i, text] of bad.entries()) {
    await Deno.writeTextFile(file, text);
    const run = await sync(server.url, dir.path);
    assert.equal(run.code, 0);
    assert.match(
      run.stderr,
      /WARN {2}state file unusable, treated as absent: the site is posted path=/,
    );
    assert.ok(run.stderr.includes(file));
    assert.equal(server.posts.length, 2 + i);
    assert.equal(
      JSON.parse(await Deno.readTextFile(file)).format,
      "outage-sync-state/1",
      "rewritten",
    );
  }
});

Deno.test("state: a directory that cannot be created is a configuration error before any request", async () => {
  await using server = api();
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/file`, "");
  const run = await sync(server.url, `${dir.path}/file/state`);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^outage-sync: Cannot use the state directory ".*\/file\/state": /);
  assert.equal(server.requests.length, 0);
});

Deno.test("state: a second run waits for the first's lock, then fails with exit 1 naming the holder", async () => {
  await using server = api();
  await using dir = await tempDir();
  const held = await stateFiles.tryLock(
    `${dir.path}/.lock`,
    "pid 4242, since 2026-12-01T10:00:00.000Z",
  );
  assert.ok(held.held);
  try {
    const run = await sync(server.url, dir.path, ["--json"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /the state directory is locked by another run: waiting/);
    const report = JSON.parse(run.stdout);
    assert.equal(report.error.kind, "locked");
    assert.match(
      report.error.message,
      /is locked by another run \(pid 4242, since 2026-12-01T10:00:00\.000Z\); waited 30\.\d s/,
    );
    assert.equal(
      server.requests.length,
      0,
      "nothing was requested while another run held the state",
    );
  } finally {
    held.release();
  }
  assert.equal((await sync(server.url, dir.path)).code, 0, "released: the next run goes ahead");
});

Deno.test("state: a dry run shows the diff against the last accepted payload and writes nothing", async () => {
  await using server = api();
  await using dir = await tempDir();
  await sync(server.url, dir.path);
  const file = `${dir.path}/${await stateFileName(SITE)}`;
  const before = await Deno.readTextFile(file);
  server.outages.push({
    id: realSiteInfo.devices[1].id,
    begin: "2024-01-01T00:00:00Z",
    end: "2024-01-02T00:00:00Z",
  });
  const run = await sync(server.url, dir.path, ["--dry-run", "--json"]);
  const site = JSON.parse(run.stdout).sites[0];
  assert.equal(site.status, "dry-run");
  assert.equal(site.changes.added, 1);
  assert.equal(site.changes.addedOutages[0].begin, "2024-01-01T00:00:00Z");
  assert.equal(await Deno.readTextFile(file), before, "no state written");
  assert.equal(server.posts.length, 1);
});

Deno.test("state: metrics count unchanged sites and carry each site's last change", async () => {
  await using server = api();
  await using dir = await tempDir();
  const metrics = `${dir.path}/m.prom`;
  await sync(server.url, `${dir.path}/state`);
  await sync(server.url, `${dir.path}/state`, ["--metrics-file", metrics]);
  const { samples } = parsePrometheus(await Deno.readTextFile(metrics));
  const value = (name: string, labels: Record<string, string>) =>
    samples.find((s) =>
      s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
    )?.value;
  assert.equal(value("outage_sync_site_status", { site: SITE, status: "unchanged" }), 1);
  assert.equal(value("outage_sync_run_exit_code", {}), 0);
  const changed = value("outage_sync_site_last_change_timestamp_seconds", { site: SITE });
  assert.ok(changed !== undefined && Math.abs(changed - Date.now() / 1000) < 120, `${changed}`);
});

async function mkfifo(path: string): Promise<void> {
  const made = await runProcess("mkfifo", [path]);
  assert.equal(made.code, 0, made.stderr);
}

/** A state directory after one run that posted: its path, the site's state file and its text. */
async function posted(server: ScriptedServer, dir: string) {
  const first = await sync(server.url, dir);
  assert.equal(first.code, 0, first.stderr);
  const file = `${dir}/${await stateFileName(SITE)}`;
  return { file, text: await Deno.readTextFile(file) };
}

Deno.test("state: a .lock that is a symbolic link, a hard link or a FIFO is a configuration error; its target is never written", async () => {
  await using server = api();
  await using dir = await tempDir();
  await using elsewhere = await tempDir();
  const victim = `${elsewhere.path}/precious`;
  await Deno.writeTextFile(victim, "precious\n");
  const lock = `${dir.path}/.lock`;
  const cases: [string, () => Promise<void>, RegExp][] = [
    ["a link to a file", () => Deno.symlink(victim, lock), /is a symbolic link, not a regular/],
    ["a dangling link", () => Deno.symlink(`${elsewhere.path}/new`, lock), /symbolic link/],
    ["a hard link", () => Deno.link(victim, lock), /has 2 hard links; it must have one/],
    ["a FIFO", () => mkfifo(lock), /is a FIFO \(named pipe\), not a regular file/],
  ];
  for (const [what, plant, problem] of cases) {
    await plant();
    const run = await sync(server.url, dir.path);
    assert.equal(run.code, 2, `${what}: ${run.stderr}`);
    assert.ok(run.stderr.includes(`Cannot use the state directory "${dir.path}"`), what);
    assert.ok(run.stderr.includes(`"${lock}"`), `${what}: the lock's path is named`);
    assert.match(run.stderr, problem, what);
    assert.equal(await Deno.readTextFile(victim), "precious\n", `${what}: the target is intact`);
    await assert.rejects(Deno.lstat(`${elsewhere.path}/new`), Deno.errors.NotFound, what);
    assert.equal(server.requests.length, 0, `${what}: nothing was requested`);
    await Deno.remove(lock);
  }
  assert.equal((await sync(server.url, dir.path)).code, 0, "a regular lock: the run goes ahead");
  assert.equal((await Deno.lstat(lock)).isFile, true);
});

Deno.test("state: a state file that is a symbolic link is ignored with a warning, the site posted, the link replaced", async () => {
  await using server = api();
  await using dir = await tempDir();
  await using elsewhere = await tempDir();
  const { file, text } = await posted(server, dir.path);
  // A valid state for this very payload, reached through a link: followed, it would skip the POST.
  const target = `${elsewhere.path}/state.json`;
  await Deno.writeTextFile(target, text);
  await Deno.remove(file);
  await Deno.symlink(target, file);
  const run = await sync(server.url, dir.path);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /WARN {2}state file not trusted, ignored: the site is posted/);
  assert.match(run.stderr, /it is a symbolic link, not a regular file/);
  assert.match(run.stdout, /^posted +norwich-pear-tree/m);
  assert.equal(server.posts.length, 2);
  assert.equal((await Deno.lstat(file)).isFile, true, "the link was replaced by a regular file");
  assert.equal(await Deno.readTextFile(target), text, "the link's target is untouched");
});

Deno.test("state: a state directory writable by group or others, or owned by another user, is a configuration error naming the fix", async () => {
  await using server = api();
  await using dir = await tempDir();
  const state = `${dir.path}/state`;
  await Deno.mkdir(state, { mode: 0o700 });
  for (const mode of [0o770, 0o707, 0o777]) {
    await Deno.chmod(state, mode);
    const run = await sync(server.url, state);
    assert.equal(run.code, 2, run.stderr);
    assert.ok(
      run.stderr.includes(
        `Cannot use the state directory "${state}": it is writable by group or others (mode 0${
          mode.toString(8)
        })`,
      ),
      run.stderr,
    );
    assert.ok(run.stderr.includes(`chmod 700 "${state}"`), run.stderr);
  }
  await Deno.chmod(state, 0o700);
  await Deno.chown(state, 65534, 65534);
  const run = await sync(server.url, state);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /it is owned by uid 65534, not by this user \(uid \d+\)/);
  assert.ok(run.stderr.includes(`chown ${Deno.uid()} "${state}" && chmod 700 "${state}"`));
  assert.equal(server.requests.length, 0, "nothing was requested");
});

Deno.test("state: a state file planted by another user (a matching digest, postedAt in 2999) is ignored with a warning and replaced", async () => {
  await using server = api();
  await using dir = await tempDir();
  const { file, text } = await posted(server, dir.path);
  const forged = JSON.stringify({ ...JSON.parse(text), postedAt: "2999-01-01T00:00:00.000Z" });
  await Deno.writeTextFile(file, forged);
  await Deno.chown(file, 65534, 65534);
  const run = await sync(server.url, dir.path, ["--repost-after", "1h"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /WARN {2}state file not trusted, ignored: the site is posted/);
  assert.match(run.stderr, /it is owned by uid 65534, not by this user/);
  assert.match(run.stdout, /^posted +norwich-pear-tree/m);
  assert.equal(server.posts.length, 2);
  const replaced = await Deno.lstat(file);
  assert.equal(replaced.uid, Deno.uid(), "replaced by this user's own file");
  assert.notEqual(JSON.parse(await Deno.readTextFile(file)).postedAt, "2999-01-01T00:00:00.000Z");

  // This user's file, but writable by others: not trusted either.
  await Deno.writeTextFile(file, forged);
  await Deno.chmod(file, 0o666);
  const loose = await sync(server.url, dir.path, ["--repost-after", "1h"]);
  assert.match(loose.stderr, /it is writable by group or others \(mode 0666\)/);
  assert.equal(server.posts.length, 3);
  assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
});

Deno.test("state: a postedAt that is not an RFC 3339 instant is refused, never printed: no forged report lines", async () => {
  await using server = api();
  await using dir = await tempDir();
  const { file, text } = await posted(server, dir.path);
  // Date.parse reads this as a time (the parenthesised part is a comment); a terminal would run it.
  const hostile = "Sat Dec 05 2026 00:00:00 GMT (\x1b]0;pwned\x07\r\x1b[2K\nposted  forged: OK)";
  assert.ok(!Number.isNaN(Date.parse(hostile)));
  await Deno.writeTextFile(file, JSON.stringify({ ...JSON.parse(text), postedAt: hostile }));
  const run = await sync(server.url, dir.path, ["--repost-after", "100d"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /state file unusable, treated as absent: the site is posted/);
  assert.match(run.stderr, /field \\"postedAt\\" is not a time: not an RFC 3339 timestamp/);
  // deno-lint-ignore no-control-regex -- control characters are what must not be printed.
  assert.doesNotMatch(run.stdout + run.stderr, /\x1b|\x07|pwned|forged/);
  assert.match(run.stdout, /^posted +norwich-pear-tree/m);
  assert.equal(server.posts.length, 2);
});

Deno.test("state: a postedAt in the future is a warning and counts as too old: the site is posted", async () => {
  await using server = api();
  await using dir = await tempDir();
  const { file, text } = await posted(server, dir.path);
  // Written while the clock ran an hour ahead: its age is negative, less than any --repost-after.
  const ahead = new Date(Date.now() + 3_600_000).toISOString();
  await Deno.writeTextFile(file, JSON.stringify({ ...JSON.parse(text), postedAt: ahead }));
  const run = await sync(server.url, dir.path, ["--repost-after", "30d"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /WARN {2}state file's last POST is in the future: counted as too old/);
  assert.ok(run.stderr.includes(ahead));
  assert.match(run.stdout, /^posted +norwich-pear-tree/m);
  assert.equal(server.posts.length, 2);
  const again = await sync(server.url, dir.path, ["--repost-after", "30d"]);
  assert.match(again.stdout, /^unchanged +norwich-pear-tree/m, "the rewritten state is trusted");
  assert.equal(server.posts.length, 2);
});

Deno.test("stateFiles.readFile: a regular file's text and facts; a link or a FIFO is never opened; nothing there is undefined", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/state.json`;
  await Deno.writeTextFile(file, '{"format":"x"}', { mode: 0o600 });
  const read = stateFiles.readFile(file, 1024);
  assert.equal(read?.text, '{"format":"x"}');
  assert.equal(read?.facts.kind, "file");
  assert.equal(read?.facts.uid, Deno.uid());
  assert.equal(read?.facts.mode! & 0o777, 0o600);
  assert.equal(read?.replaced, undefined);

  const link = `${dir.path}/link.json`;
  await Deno.symlink(file, link);
  assert.deepEqual(
    {
      kind: stateFiles.readFile(link, 1024)?.facts.kind,
      text: stateFiles.readFile(link, 1024)?.text,
    },
    { kind: "symlink", text: undefined },
  );
  const fifo = `${dir.path}/fifo.json`;
  await mkfifo(fifo);
  // Opened, a FIFO with no writer would block this test forever.
  assert.equal(stateFiles.readFile(fifo, 1024)?.facts.kind, "fifo");
  assert.equal(stateFiles.readFile(`${dir.path}/none.json`, 1024), undefined);
  assert.throws(() => stateFiles.readFile(file, 4), /is 14 bytes, more than the 4 bytes limit/);
});

Deno.test("state store: a site's write after its read inspects the path once (the read's lstat is kept)", async () => {
  await using dir = await tempDir();
  const kinds: string[] = [];
  const fs = {
    ...realFileWriter,
    kind: (path: string) => (kinds.push(path), realFileWriter.kind(path)),
  };
  const io = { fs, stateFiles, readTextFile, writablePaths: [dir.path] } as unknown as CliIo;
  const clock = { now: () => Date.now(), sleep: () => Promise.resolve() };
  const open = await openStateDir(dir.path, io, {
    logger: memoryLogger(),
    clock,
    deadline: Date.now() + 60_000,
  });
  try {
    const state = {
      format: STATE_FORMAT,
      baseUrl: "http://127.0.0.1:1",
      siteId: SITE,
      since: "2022-01-01T00:00:00.000Z",
      sinceInstant: "1640995200000000000",
      digest: payloadDigest([]),
      count: 0,
      postedAt: "2026-12-01T10:00:00.000Z",
      changedAt: "2026-12-01T10:00:00.000Z",
      payload: [],
    } as const;
    for (let run = 0; run < 2; run++) {
      kinds.length = 0;
      const before = await open.store.read(SITE);
      assert.deepEqual(before, run === 0 ? undefined : state);
      await open.store.write(state);
      assert.deepEqual(kinds, [`${dir.path}/${stateFileName(SITE)}`], `run ${run}`);
    }
  } finally {
    open.release();
  }
});
