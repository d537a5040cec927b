/**
 * A minimal API for the hostile-body benchmark: `GET /outages` answers the bytes of a file (with
 * its length), `GET /site-info/{id}` the JSON given on the command line, `POST` 200 `{}`. Runs as
 * its own process so that the program's peak memory is measured alone. Prints its URL.
 *
 *   deno run --allow-net=127.0.0.1 --allow-read bench/body_server.ts OUTAGES_FILE SITE_INFO_JSON
 * @module
 */

const [file, siteInfo] = Deno.args;
const size = (await Deno.stat(file)).size;
const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => {
    Deno.stdout.writeSync(new TextEncoder().encode(`http://127.0.0.1:${port}\n`));
  },
}, async (request) => {
  const path = new URL(request.url).pathname;
  const headers = { "content-type": "application/json" };
  if (request.method === "POST") {
    await request.body?.cancel();
    return new Response("{}", { headers });
  }
  if (path === "/outages") {
    const opened = await Deno.open(file);
    return new Response(opened.readable, {
      headers: { ...headers, "content-length": String(size) },
    });
  }
  return new Response(siteInfo, { headers });
});
await server.finished;
