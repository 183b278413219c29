// A small static file server for the dashboard, the benchmark pages and the fixture data, on
// 127.0.0.1 only. It sends Cross-Origin-Opener-Policy / Cross-Origin-Embedder-Policy so pages are
// cross-origin isolated (SharedArrayBuffer for Web Workers), and serves `.wasm` with its MIME type
// so `WebAssembly.instantiateStreaming` works.
//
// usage: node scripts/serve.mjs --port 8080 [--mount /prefix=DIR ...] [--ready-file F]
import http from "node:http";
import fs from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
let port = 8080;
let readyFile = null;
const mounts = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--port") port = Number(args[++i]);
  else if (a === "--ready-file") readyFile = args[++i];
  else if (a === "--mount") {
    const [prefix, dir] = args[++i].split("=");
    mounts.push({ prefix: prefix.replace(/\/$/, ""), dir: path.resolve(dir) });
  } else {
    console.error(`serve.mjs: unknown argument ${a}`);
    process.exit(2);
  }
}
// Longest prefix first so /pkg wins over /.
mounts.sort((a, b) => b.prefix.length - a.prefix.length);

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ts": "text/plain; charset=utf-8",
};

const server = http.createServer((req, res) => {
  // A request target is taken as a path only: "//host/…" (a valid target that URL would read as a
  // host) and bad percent-escapes are answered 400 instead of throwing out of the server.
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(`http://127.0.0.1/${req.url.replace(/^\/+/, "")}`).pathname);
  } catch {
    res.writeHead(400, { "Content-Type": "text/plain" });
    return res.end("bad request target\n");
  }
  res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
  res.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
  res.setHeader("Cross-Origin-Resource-Policy", "cross-origin");
  res.setHeader("Cache-Control", "no-store");
  for (const m of mounts) {
    if (pathname !== m.prefix && !pathname.startsWith(m.prefix + "/") && m.prefix !== "") continue;
    let rel = pathname.slice(m.prefix.length) || "/";
    if (rel.endsWith("/")) rel += "index.html";
    const file = path.join(m.dir, rel);
    if (!file.startsWith(m.dir)) break; // no escaping the mount with ../
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) {
        res.writeHead(404, { "Content-Type": "text/plain" });
        res.end(`not found: ${pathname}\n`);
        return;
      }
      res.writeHead(200, {
        "Content-Type": TYPES[path.extname(file)] || "application/octet-stream",
        "Content-Length": st.size,
      });
      if (req.method === "HEAD") return res.end();
      fs.createReadStream(file).pipe(res);
    });
    return;
  }
  res.writeHead(404, { "Content-Type": "text/plain" });
  res.end(`not found: ${pathname}\n`);
});

server.listen(port, "127.0.0.1", () => {
  const url = `http://127.0.0.1:${server.address().port}/`;
  console.log(`serving ${url}`);
  if (readyFile) fs.writeFileSync(readyFile, url);
});
// Browsers keep idle connections open; drop them so a stop is immediate.
for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
