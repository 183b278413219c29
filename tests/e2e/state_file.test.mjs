// A local state file in the browser, as a user hands it over: a `File` from a file input, read a
// slice at a time (every `Blob.slice` the package makes is recorded and checked), the same bytes
// as a `Uint8Array`, and a file that changes on disk after it was chosen, which must fail typed
// (STATE_FILE_UNREADABLE) and leave the database empty. The known answer is the devnet's own
// finalized state root, read over HTTP.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { devnetNetwork, packagePage, requireBuilt, startDevnet } from "./helpers.mjs";

requireBuilt();

// 16,384 validators make a state of about 2.3 MB, so it is read in more than one piece (1 MiB).
const CHAIN = ["--validators", "16384"];

/** A devnet, its finalized state written to a temporary file, and a package page with a file input. */
async function setUp(t) {
  const devnet = await startDevnet({ providers: 1, args: CHAIN });
  t.after(() => devnet.stop());
  const { network } = await devnetNetwork(devnet.urls[0]);
  const base = devnet.urls[0];
  const res = await fetch(`${base}/eth/v2/debug/beacon/states/finalized`, { headers: { Accept: "application/octet-stream" } });
  assert.equal(res.status, 200);
  const ssz = Buffer.from(await res.arrayBuffer());
  assert.ok(ssz.length > 1 << 21, `a state of more than 2 MiB (${ssz.length} bytes)`);
  const rootRes = await fetch(`${base}/eth/v1/beacon/states/finalized/root`);
  const stateRoot = (await rootRes.json()).data.root;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lightsync-state-file-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "finalized.ssz");
  fs.writeFileSync(file, ssz);
  const { page, problems } = await packagePage(t, "state-file");
  t.after(() => {
    if (problems.length) t.diagnostic(`browser console: ${problems.join(" | ")}`);
  });
  await page.setContent(`<input type="file" id="state">`);
  await page.locator("#state").setInputFiles(file);
  return { devnet, network, ssz, stateRoot, file, page };
}

/**
 * In the page: `create()` with the chosen file as `stateFile` (`as`: "file" passes the `File`
 * itself, "bytes" its `Uint8Array`), then `between()` (in Node), then `start()`, recording every
 * `Blob.slice` of the file. Resolves to the anchor, or to the error and what is stored after it.
 */
async function startFromFile(page, network, as, between = async () => {}) {
  await page.evaluate(
    async ({ network, as }) => {
      const lib = await import("/pkg/beacon_lightsync.js");
      await lib.default();
      const file = document.getElementById("state").files[0];
      window.slices = [];
      const slice = Blob.prototype.slice;
      Blob.prototype.slice = function (start, end, type) {
        if (this === file) window.slices.push([start, end]);
        return slice.call(this, start, end, type);
      };
      const stateFile = as === "file" ? file : new Uint8Array(await file.arrayBuffer());
      window.sync = await lib.LightSync.create({ network, stateFile });
      await window.sync.reset();
    },
    { network, as },
  );
  await between();
  return page.evaluate(async () => {
    const plain = (v) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)));
    const size = document.getElementById("state").files[0].size;
    try {
      return { anchor: plain(await window.sync.start()), slices: window.slices, size };
    } catch (e) {
      return { error: { code: e.code, message: e.message }, slices: window.slices, stored: plain(window.sync.status().anchor ?? null) };
    }
  });
}

test("a File is verified a slice at a time, never read whole", async (t) => {
  const { devnet, network, stateRoot, page } = await setUp(t);
  const seen = await startFromFile(page, network, "file");
  assert.equal(seen.error, undefined, JSON.stringify(seen.error));
  assert.equal(seen.anchor.trust, "file");
  assert.equal(seen.anchor.stateRoot, stateRoot);
  assert.equal(String(seen.anchor.slot), String(devnet.finalized_slot));
  // The slices: the genesis prefix first, then pieces of at most 1 MiB covering the file in order.
  assert.deepEqual(seen.slices[0], [0, 40]);
  const pieces = seen.slices.slice(1);
  assert.ok(pieces.length >= 3, `read in pieces: ${JSON.stringify(pieces)}`);
  let at = 0;
  for (const [start, end] of pieces) {
    assert.equal(start, at, "pieces follow each other");
    assert.ok(end - start <= 1 << 20, `a piece of at most 1 MiB, got ${end - start}`);
    at = Math.min(end, seen.size);
  }
  assert.equal(at, seen.size, "the pieces cover the whole file");
});

test("the same state as a Uint8Array gives the same anchor", async (t) => {
  const { network, stateRoot, page } = await setUp(t);
  const seen = await startFromFile(page, network, "bytes");
  assert.equal(seen.error, undefined, JSON.stringify(seen.error));
  assert.equal(seen.anchor.trust, "file");
  assert.equal(seen.anchor.stateRoot, stateRoot);
});

test("a file changed on disk while it is read fails with STATE_FILE_UNREADABLE and stores nothing", async (t) => {
  const { network, ssz, file, page } = await setUp(t);
  // Rewritten with other bytes and a later modification time after `create()` read its genesis:
  // the browser's snapshot of the file no longer matches, and the next read fails.
  const seen = await startFromFile(page, network, "file", async () => {
    const changed = Buffer.from(ssz);
    changed[changed.length - 1] ^= 0xff;
    fs.writeFileSync(file, changed);
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(file, later, later);
  });
  assert.equal(seen.anchor, undefined, "no anchor from a file that changed");
  assert.equal(seen.error.code, "STATE_FILE_UNREADABLE", JSON.stringify(seen.error));
  assert.match(seen.error.message, /state file: could not be read: NotReadableError/);
  assert.deepEqual(seen.slices[0], [0, 40], "the genesis was read before the change");
  assert.equal(seen.stored, null, "nothing stored");
});
