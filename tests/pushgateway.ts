/**
 * The real Prometheus Pushgateway for the push tests: Debian's `prometheus-pushgateway`, started
 * on a free loopback port with no persistence file, ready when `/-/ready` answers, stopped when
 * disposed of.
 * @module
 */

/** The binary Debian's `prometheus-pushgateway` package installs. */
const BINARY = "prometheus-pushgateway";

/** A running Pushgateway. */
export interface Pushgateway extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The `outage_sync_*` sample lines of its `/metrics`, and the whole text. */
  metrics(): Promise<{ lines: string[]; text: string }>;
}

/** A loopback port free a moment ago: bound on port 0, then closed. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Whether the gateway at `url` says it is ready. */
async function ready(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts the gateway on `port`; `undefined` when it exited first (the port was taken). */
async function startOn(port: number): Promise<Pushgateway | undefined> {
  const child = new Deno.Command(BINARY, {
    args: [`--web.listen-address=127.0.0.1:${port}`, "--persistence.file="],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited) child.kill("SIGTERM");
    await status;
  };
  for (let i = 0; i < 200 && !exited; i++) {
    if (await ready(url)) {
      return {
        url,
        async metrics() {
          const response = await fetch(`${url}/metrics`);
          const text = await response.text();
          return { lines: text.split("\n").filter((l) => l.startsWith("outage_sync_")), text };
        },
        [Symbol.asyncDispose]: stop,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  return undefined;
}

/**
 * Starts a Pushgateway on a free loopback port, retrying on another port when it was taken in the
 * meantime; `undefined` when the binary is not installed.
 */
export async function startPushgateway(): Promise<Pushgateway | undefined> {
  try {
    new Deno.Command(BINARY, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const gateway = await startOn(freePort());
    if (gateway !== undefined) return gateway;
  }
  throw new Error(`${BINARY} did not become ready on any of 5 free ports`);
}

/**
 * Whether the Pushgateway tests run: when the binary is installed, and always under CI
 * (`CI=true`), where its absence fails them rather than skipping them.
 */
export function pushgatewayRequired(): { run: boolean; skipReason: string } {
  let present = true;
  try {
    new Deno.Command(BINARY, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
  } catch {
    present = false;
  }
  const ci = Deno.env.get("CI") === "true";
  return {
    run: present || ci,
    skipReason: present || ci
      ? ""
      : ` (skipped: ${BINARY} is not installed; apt-get install prometheus-pushgateway, as .ci/run does)`,
  };
}
