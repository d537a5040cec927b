/** Fault scripts from the command line: `--script` files and `--fault` short forms. */

import assert from "node:assert/strict";
import { BARE_KINDS, KIND_NAMES, KINDS, takesDelay } from "../src/mock/fault_kinds.ts";
import { FAULT_HINT, parseFault, parseScriptFile, ScriptError } from "../src/mock/script_file.ts";
import { api, drain, get } from "./mock_helpers.ts";

Deno.test("mock script files: --script", async (t) => {
  await t.step("routes map to lists of steps, or to {steps, sticky}", () => {
    const text = JSON.stringify({
      "GET /outages": ["reset", 503, { kind: "normal", delayMs: 50 }],
      "POST /site-outages/*": { steps: [500], sticky: true },
      "GET /site-info/norwich-pear-tree": { steps: [{ kind: "hang", repeat: 2 }] },
    });
    assert.deepEqual(parseScriptFile(text, "f.json"), [
      {
        target: "GET /outages",
        steps: ["reset", 503, { kind: "normal", delayMs: 50 }],
        sticky: false,
      },
      { target: "POST /site-outages/*", steps: [500], sticky: true },
      {
        target: "GET /site-info/norwich-pear-tree",
        steps: [{ kind: "hang", repeat: 2 }],
        sticky: false,
      },
    ]);
    assert.deepEqual(parseScriptFile("{}", "f.json"), []);
  });

  await t.step("errors name the file, the route and the step", () => {
    const cases: [string, string][] = [
      ["[1]", 'f.json: expected an object of routes, e.g. {"GET /outages": [503, "ok"]}'],
      ["{", "f.json: not valid JSON ("],
      [
        '{"GET /outage": [500]}',
        'f.json: Invalid route "GET /outage": expected "GET /outages", "GET /site-info/SITE" or ' +
        '"POST /site-outages/SITE" (SITE: a site id, or * for any site)',
      ],
      ['{"GET /outages": 500}', 'f.json: "GET /outages": expected a list of steps or {"steps"'],
      [
        '{"GET /outages": {"steps": [], "stick": true}}',
        'f.json: "GET /outages": unknown key "stick"',
      ],
      [
        '{"GET /outages": {"steps": [], "sticky": 1}}',
        'f.json: "GET /outages".sticky: expected true',
      ],
      [
        '{"GET /outages": [500, "explode"]}',
        // Every kind, in the table's order: a kind added to the table is listed without a change here.
        `f.json: "GET /outages"[1]: unknown kind "explode" (expected ${KIND_NAMES.join(", ")})`,
      ],
      [
        '{"GET /outages": [{"kind": "redirect", "location": "/here"}]}',
        'f.json: "GET /outages"[0]: "location" must be an absolute URL, got "/here"',
      ],
      ['{"GET /outages": [99]}', 'f.json: "GET /outages"[0]: status must be an integer from 200'],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseScriptFile(text, "f.json"),
        (error: Error) => error instanceof ScriptError && error.message.startsWith(message),
        text,
      );
    }
  });
});

Deno.test("mock script files: --fault", async (t) => {
  await t.step("statuses and kinds, with @delay, *repeat and a final sticky", () => {
    assert.deepEqual(parseFault("POST /site-outages/*=500,500,ok"), {
      target: "POST /site-outages/*",
      steps: [{ kind: "status", status: 500 }, { kind: "status", status: 500 }, { kind: "ok" }],
      sticky: false,
    });
    assert.deepEqual(parseFault("GET /outages = reset, 503@250*2, hang-forever, sticky"), {
      target: "GET /outages",
      steps: [
        { kind: "reset" },
        { kind: "status", status: 503, delayMs: 250, repeat: 2 },
        { kind: "hang-forever" },
      ],
      sticky: true,
    });
    assert.equal(parseFault("GET /site-info/a=b=close").target, "GET /site-info/a=b");
  });

  await t.step("errors name the flag's text and the step", () => {
    const cases: [string, string][] = [
      ["GET /outages", 'expected ROUTE=STEPS, e.g. "GET /outages=503,503,ok"'],
      ["GET /outages=", "expected steps separated by commas"],
      ["GET /outages=500,,ok", "expected steps separated by commas"],
      ["GET /outages=sticky", "expected steps separated by commas"],
      ["GET /nowhere=500", 'Invalid route "GET /nowhere"'],
      ["GET /outages=500,boom", 'step 2 "boom": expected a status (200-599) or one of ok,'],
      ["GET /outages=sticky,500", '"sticky" may only come last'],
      ["GET /outages=hang@5", 'step 1 "hang@5": "hang" takes no delay'],
      ["GET /outages=hang-forever@5", 'step 1 "hang-forever@5": "hang-forever" takes no delay'],
      ["GET /outages=99", 'step 1 "99": status must be an integer from 200 to 599, got 99'],
      ["GET /outages=500*0", 'step 1 "500*0": "repeat" must be an integer from 1'],
    ];
    for (const [text, message] of cases) {
      const prefix = `Cannot parse "--fault" ${JSON.stringify(text)}: `;
      assert.throws(
        () => parseFault(text),
        (error: Error) =>
          error instanceof ScriptError && error.message.startsWith(prefix) &&
          error.message.includes(message),
        text,
      );
    }
  });

  await t.step("a status with headers: [NAME=VALUE;NAME=VALUE]", () => {
    assert.deepEqual(parseFault("GET /outages=429[Retry-After=2]@100*2,ok"), {
      target: "GET /outages",
      steps: [
        { kind: "status", status: 429, headers: { "Retry-After": "2" }, delayMs: 100, repeat: 2 },
        { kind: "ok" },
      ],
      sticky: false,
    });
    // A value may hold "=", "," and spaces (an HTTP date does); the route's "=" is the last outside [].
    assert.deepEqual(
      parseFault("GET /site-info/a=b=503[Retry-After=Wed, 21 Oct 2026 07:28:00 GMT; X-A=b=c]"),
      {
        target: "GET /site-info/a=b",
        steps: [{
          kind: "status",
          status: 503,
          headers: { "Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT", "X-A": "b=c" },
        }],
        sticky: false,
      },
    );
  });

  await t.step("bad headers are refused, naming the flag's text and the step", () => {
    const cases: [string, string][] = [
      [
        "GET /outages=429[Retry After=2]",
        'step 1 "429[Retry After=2]": header name "Retry After" is not a token',
      ],
      [
        "GET /outages=429[Retry-After]",
        'step 1 "429[Retry-After]": expected headers as [NAME=VALUE;NAME=VALUE], got "Retry-After"',
      ],
      ["GET /outages=429[=2]", 'expected headers as [NAME=VALUE;NAME=VALUE], got "=2"'],
      ["GET /outages=429[a=1;]", 'expected headers as [NAME=VALUE;NAME=VALUE], got ""'],
      [
        "GET /outages=429[X=a\rSet-Cookie: s=1]",
        'header "X" has a control character (CR, LF, ...) in its value "a\\rSet-Cookie: s=1"',
      ],
      ["GET /outages=429[X=a\nb]", 'header "X" has a control character'],
      ["GET /outages=429[X=a\u0000b]", 'header "X" has a control character'],
      ["GET /outages=429[Content-Length=9]", 'header "Content-Length" cannot be scripted'],
      [
        "GET /outages=reset[X=1]",
        'step 1 "reset[X=1]": only a status takes headers, e.g. "429[Retry-After=2]"',
      ],
      ["GET /outages=429[X=1", 'step 1 "429[X=1": expected a status (200-599)'],
    ];
    for (const [text, message] of cases) {
      const prefix = `Cannot parse "--fault" ${JSON.stringify(text)}: `;
      assert.throws(
        () => parseFault(text),
        (error: Error) =>
          error instanceof ScriptError && error.message.startsWith(prefix) &&
          error.message.includes(message),
        text,
      );
    }
  });

  await t.step("what it reads plays as written", async () => {
    const mock = api({ scripts: [parseFault("GET /outages=503*2,ok,500,sticky")] });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await mock.handle(get("/outages"));
      await drain(response);
      statuses.push(response.status);
    }
    assert.deepEqual(statuses, [503, 503, 200, 500, 500, 500]);
  });
});

Deno.test("mock script files: the short form follows the kinds' table", async (t) => {
  await t.step("every kind with no required field is a word of --fault, and in its hint", () => {
    assert.deepEqual(BARE_KINDS, KIND_NAMES.filter((kind) => KINDS[kind].required.length === 0));
    assert.ok(BARE_KINDS.includes("normal"), "normal is named alone (the hint once missed it)");
    for (const kind of BARE_KINDS) {
      assert.deepEqual(parseFault(`GET /outages=${kind}*2`).steps, [{ kind, repeat: 2 }]);
      assert.ok(FAULT_HINT.includes(` ${kind},`), `the --fault hint names "${kind}"`);
      const delayed = () => parseFault(`GET /outages=${kind}@5`);
      if (takesDelay(kind)) assert.deepEqual(delayed().steps, [{ kind, delayMs: 5 }]);
      else assert.throws(delayed, { message: new RegExp(`"${kind}" takes no delay$`) });
    }
  });

  await t.step("a kind with a required field is refused alone, in --fault and in a file", () => {
    const needy = KIND_NAMES.filter((kind) => !(BARE_KINDS as string[]).includes(kind));
    assert.deepEqual(needy, ["status", "redirect"]);
    for (const kind of needy) {
      assert.throws(() => parseFault(`GET /outages=${kind}`), {
        message: new RegExp(`step 1 "${kind}": expected a status`),
      });
      assert.throws(() => parseScriptFile(`{"GET /outages": ["${kind}"]}`, "f.json"), {
        message: `f.json: "GET /outages"[0]: "${kind}" needs its object form`,
      });
    }
  });
});
