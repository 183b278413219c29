// The dashboard: a form that builds the options of `LightSync.create`, then live views of what the
// package reports (progress events, status, anchors) and controls over it. Plain ES modules over
// the wasm-pack `--target web` build served at ./pkg/.
//
// Query parameters prefill the form so a link (or the demo, or a test) can drive the page:
//   network, url (repeatable) or urls (comma-separated), checkpoint, trustedBlockRoot, stateId,
//   longRange, targetSlot, batchSize, concurrency, backfill=0|1, autostart=1.
// `window.lightsyncDashboard` exposes the page's state for scripts; `<body data-phase>` mirrors it.

import init, * as lightsync from "./pkg/beacon_lightsync.js";
import { drawChart } from "./chart.js";
import { adviceFor, expectedActual } from "./advice.js";
import { num, mb, mbps, int, duration, shortRoot, utc } from "./format.js";
import { narrowConnections, remoteProviders } from "./csp.js";

const { LightSync } = lightsync;

const $ = (id) => document.getElementById(id);
const form = $("setup");
const FORM_KEY = "lightsync-dashboard-form";
/** sessionStorage key: the next page's autostart was asked for by the user on this one. */
const CONFIRMED_KEY = "lightsync-autostart-confirmed";

/** What scripts (the demo, the tests) read; updated as the page changes. */
const dash = {
  phase: "loading",
  anchor: null,
  status: null,
  anchors: [],
  error: null,
  headersStored: 0,
  timings: {},
  rates: {},
  log: [],
};
window.lightsyncDashboard = dash;

let sync = null;
let running = false;
let backfillPoints = [];
let backfillT0 = 0;
let backfillBase = 0;
let runT0 = 0;
let lastLightStep = null;

// ---------------------------------------------------------------------------------------------
// Page phase and event log

const PHASE_TEXT = {
  loading: ["Loading the WebAssembly module…", "busy"],
  idle: ["Ready. Choose a trust input and start.", ""],
  syncing: ["Checkpoint sync: downloading and verifying the state…", "busy"],
  anchored: ["Verified anchor stored.", "ok"],
  backfilling: ["Backfilling verified headers…", "busy"],
  paused: ["Backfill paused; resume continues where it stopped.", "warn"],
  done: ["Synced: anchor verified and stored, backfill complete.", "ok"],
  cancelled: ["Cancelled.", "warn"],
  error: ["Stopped with an error (details below).", "bad"],
};

function setPhase(phase, text) {
  dash.phase = phase;
  document.body.dataset.phase = phase;
  const [t, cls] = PHASE_TEXT[phase] ?? [phase, ""];
  $("phase-text").textContent = text ?? t;
  $("phase-dot").className = `dot ${cls}`;
  const busy = ["syncing", "anchored", "backfilling"].includes(phase);
  $("start").disabled = busy || phase === "loading" || phase === "paused";
  $("pause").disabled = phase !== "backfilling";
  $("resume").disabled = phase !== "paused";
  $("cancel").disabled = !(busy || phase === "paused");
  $("reset").disabled = busy || phase === "loading";
}

function log(text, level = "") {
  const now = new Date();
  dash.log.push({ at: now.toISOString(), level, text });
  const li = document.createElement("li");
  if (level) li.className = level;
  const time = document.createElement("time");
  time.dateTime = now.toISOString();
  time.textContent = now.toLocaleTimeString("en-GB");
  const span = document.createElement("span");
  span.textContent = text;
  li.append(time, span);
  const list = $("log");
  list.prepend(li);
  while (list.children.length > 200) list.lastChild.remove();
}

// ---------------------------------------------------------------------------------------------
// The form: query parameters, remembered values, options

function showTrustFields() {
  const kind = form.trust.value;
  for (const div of form.querySelectorAll("[data-trust]")) div.hidden = div.dataset.trust !== kind;
}

function fillForm(values) {
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === null) continue;
    if (k === "trust" || k === "longRange") {
      const radio = form.querySelector(`input[name=${k}][value="${CSS.escape(String(v))}"]`);
      if (radio) radio.checked = true;
    } else if (k === "autoBackfill") {
      $("autoBackfill").checked = Boolean(v);
    } else if (form.elements[k] && form.elements[k].type !== "file") {
      form.elements[k].value = v;
    }
  }
  showTrustFields();
}

function valuesFromQuery(q) {
  const v = {};
  if (q.has("network")) v.network = q.get("network");
  const urls = [...q.getAll("url"), ...(q.get("urls") ?? "").split(",")].map((s) => s.trim()).filter(Boolean);
  if (urls.length) v.urls = urls.join("\n");
  for (const k of ["checkpoint", "trustedBlockRoot", "stateId"]) {
    if (q.has(k)) {
      v[k] = q.get(k);
      v.trust = k;
    }
  }
  for (const k of ["longRange", "targetSlot", "batchSize", "concurrency"]) if (q.has(k)) v[k] = q.get(k);
  if (q.has("backfill")) v.autoBackfill = q.get("backfill") !== "0";
  return v;
}

function readForm() {
  return {
    network: form.network.value,
    urls: form.urls.value,
    trust: form.trust.value,
    checkpoint: form.checkpoint.value.trim(),
    trustedBlockRoot: form.trustedBlockRoot.value.trim(),
    stateId: form.stateId.value.trim(),
    longRange: form.longRange.value,
    targetSlot: form.targetSlot.value.trim(),
    batchSize: form.batchSize.value.trim(),
    concurrency: form.concurrency.value.trim(),
    autoBackfill: $("autoBackfill").checked,
  };
}

/** A form-level problem, shown like the package's errors so the page has one way to show errors. */
function formError(field, expected, actual) {
  const e = new Error(`${field}: expected ${expected}, got ${actual === "" ? "nothing" : `"${actual}"`}`);
  e.code = "INVALID_OPTIONS";
  e.expected = expected;
  e.actual = actual === "" ? "(empty)" : actual;
  e.field = field;
  return e;
}

function nonNegativeInt(field, text, fallback) {
  if (text === "") return fallback;
  if (!/^\d+$/.test(text)) throw formError(field, "a non-negative integer", text);
  return Number(text);
}

/** The backfill target: a slot number, `genesis`, or `horizon` (the oldest slot peers must serve). */
function backfillTarget(text) {
  if (text === "" || text === "horizon") return "horizon";
  if (text === "genesis") return "genesis";
  return nonNegativeInt("Target slot", text, 0);
}

/**
 * Builds the options object of `LightSync.create` from the form. A custom network is
 * `network: "spec"`: the package reads the config from the first provider's
 * `/eth/v1/config/spec` and the genesis time and validators root from every provider's
 * `/eth/v1/beacon/genesis` (right for a devnet one runs oneself; a public network should use its
 * built-in name).
 */
async function buildOptions(values) {
  const beaconApiUrls = values.urls
    .split(/[\s,]+/)
    .map((s) => s.trim().replace(/\/+$/, ""))
    .filter(Boolean);
  if (beaconApiUrls.length === 0) throw formError("Beacon API URLs", "at least one http(s) URL", "");
  for (const u of beaconApiUrls)
    if (!/^https?:\/\/[^/]+/.test(u)) throw formError("Beacon API URLs", "http:// or https:// URLs", u);
  const network = values.network === "provider" ? "spec" : values.network;
  const opts = {
    network,
    beaconApiUrls,
    longRange: values.longRange,
    backfill: {
      targetSlot: backfillTarget(values.targetSlot),
      batchSize: nonNegativeInt("Batch size", values.batchSize, undefined),
      concurrency: nonNegativeInt("Concurrency", values.concurrency, undefined),
    },
  };
  switch (values.trust) {
    case "checkpoint":
      if (!values.checkpoint) throw formError("Checkpoint", "block_root:epoch", "");
      opts.checkpoint = values.checkpoint;
      break;
    case "trustedBlockRoot":
      if (!values.trustedBlockRoot) throw formError("Trusted block root", "0x followed by 64 hex digits", "");
      opts.trustedBlockRoot = values.trustedBlockRoot;
      break;
    case "stateId":
      opts.stateId = values.stateId || "finalized";
      break;
    case "file": {
      const file = $("stateFile").files[0];
      if (!file) throw formError("State file", "an SSZ BeaconState file", "");
      // The File itself: the core reads it a slice at a time, never whole.
      opts.stateFile = file;
      break;
    }
  }
  return opts;
}

/** The genesis validators root `url` serves (names a custom network's database). */
async function genesisRootFromProvider(url) {
  let res;
  try {
    res = await fetch(`${url}/eth/v1/beacon/genesis`, { headers: { Accept: "application/json" } });
  } catch (e) {
    throw Object.assign(new Error(`${url}/eth/v1/beacon/genesis: ${e.message}`), { code: "NETWORK" });
  }
  if (!res.ok)
    throw Object.assign(new Error(`${url}/eth/v1/beacon/genesis: expected status 200, got ${res.status}`), {
      code: "HTTP_STATUS",
      expected: "200",
      actual: String(res.status),
    });
  return (await res.json()).data.genesis_validators_root;
}

// ---------------------------------------------------------------------------------------------
// Rendering what the package reports

function setBar(name, done, total, text) {
  const bar = $(name);
  const d = num(done) ?? 0;
  const t = num(total);
  if (t && t > 0) {
    bar.max = t;
    bar.value = Math.min(d, t);
  } else {
    bar.removeAttribute("value"); // indeterminate
  }
  $(`${name}-value`).textContent = text;
  bar.closest(".bar").classList.toggle("done", Boolean(t) && d >= t);
}

function onProgress(e) {
  const phase = String(e.phase ?? "");
  const done = num(e.done) ?? 0;
  const total = num(e.total);
  const rate = num(e.rate);
  if (phase === "download") {
    dash.rates.downloadBytesPerSecond = rate;
    const of = total ? ` of ${mb(total)}` : "";
    setBar("download", done, total, `${mb(done)}${of}${rate ? ` · ${mbps(rate)}` : ""}`);
  } else if (phase === "hash") {
    dash.rates.hashBytesPerSecond = rate;
    const pct = total ? `${Math.floor((done / total) * 100)} %` : mb(done);
    setBar("hash", done, total, `${pct}${rate ? ` · ${mbps(rate)}` : ""}`);
  } else if (phase === "store") {
    setPhase("syncing", "Storing the verified anchor…");
  } else if (phase === "backfill") {
    // `done`/`total` count slots examined in this run (empty slots included); `headers` counts
    // the headers this run stored, on top of those stored before it.
    const headers = num(e.headers) ?? 0;
    const t = (performance.now() - backfillT0) / 1000;
    backfillPoints.push({ t, n: backfillBase + headers });
    const perSec = num(e.headersPerSecond ?? e.rate);
    const eta = num(e.etaSeconds);
    dash.rates.headersPerSecond = perSec;
    dash.headersStored = backfillBase + headers;
    const parts = [`${int(backfillBase + headers)} headers`];
    if (perSec) parts.push(`${int(perSec)} /s`);
    if (eta !== null && total && done < total) parts.push(`${duration(eta)} left`);
    else if (total && done >= total) parts.push("done");
    setBar("backfill", done, total, parts.join(" · "));
    $("backfill-label").textContent = total ? `Backfill: at slot ${int(e.oldestSlot)}, ${int(total - done)} slots to go` : "Backfill";
    // The chart's y axis reaches the expected final count: headers per slot so far times all slots.
    drawChart($("chart"), backfillPoints, backfillBase + (total ? Math.round((headers * total) / Math.max(done, 1)) : 0));
    $("headers-stored").textContent = int(dash.headersStored);
    if (e.oldestSlot !== undefined) $("tail").textContent = `slot ${int(e.oldestSlot)}`;
  } else if (phase.startsWith("light-")) {
    // The light-client rebuild of a stale anchor, step by step.
    const step = phase.slice(6);
    const where = e.period !== null && e.period !== undefined ? ` (sync-committee period ${e.period})` : "";
    const text = `Rebuilding trust with light-client updates: ${step}${where}…`;
    if ($("phase-text").textContent !== text) {
      $("phase-text").textContent = text;
      if (step !== lastLightStep) log(`Light-client rebuild: ${step}${where}`);
      lastLightStep = step;
    }
  }
}


// The newest verified block: the followed tip once a follow step ran (stored, so it survives a
// reload), else the anchor's own block.
function renderHead(status) {
  const head = status?.head;
  const el = $("head");
  const anchor = status?.anchor;
  const noAnchorExecution = anchor?.payload ? "none (a Gloas state holds no payload header)" : "none (pre-merge state)";
  renderExecution("anchor-execution", anchor?.execution, anchor ? noAnchorExecution : "–");
  renderPayload(anchor);
  renderExecution("head-execution", head?.execution, head ? "not verified (no light-client proof)" : "–");
  if (!head) {
    el.textContent = "–";
    return;
  }
  const slot = head.slot === null || head.slot === undefined ? "slot unknown" : `slot ${int(head.slot)}`;
  el.textContent = `${slot}, ${shortRoot(head.root)} (${head.followed ? "followed" : "anchor block"})`;
  el.title = head.root;
}

// A verified execution block (number and hash), or why there is none: before the merge for an
// anchor, no proof of the payload for a tip taken from the providers' word.
function renderExecution(id, execution, none) {
  const el = $(id);
  if (!execution) {
    el.textContent = none;
    el.removeAttribute("title");
    return;
  }
  el.textContent = `#${int(execution.blockNumber)}, ${shortRoot(execution.blockHash)}`;
  el.title = execution.blockHash;
}

// A Gloas anchor block's payload: FULL (its envelope verified) or EMPTY (none served), and the
// block hash its bid commits to.
function renderPayload(anchor) {
  const el = $("anchor-payload");
  const payload = anchor?.payload;
  if (!payload) {
    el.textContent = anchor ? "none (before Gloas)" : "–";
    el.removeAttribute("title");
    return;
  }
  const status = payload.status === null ? "unknown (no provider asked)" : payload.status.toUpperCase();
  el.textContent = `${status}, bid ${shortRoot(payload.blockHash)}`;
  el.title = `bid block hash ${payload.blockHash}; latest delivered payload ${payload.latestBlockHash}`;
}

// The origin's storage: whether it is persistent (asked once an anchor is stored; else the
// browser may evict the database under pressure), usage of quota, and whether this tab writes.
function renderStorage(status) {
  const s = status?.storage;
  const el = $("storage");
  if (!s) {
    el.textContent = "–";
    return;
  }
  const persisted = s.persisted === null ? "persistence unknown" : s.persisted ? "persistent" : "best-effort (may be evicted)";
  const used = s.usage === null || s.quota === null ? "usage unknown" : `${mb(s.usage)} of ${mb(s.quota)}`;
  el.textContent = `${persisted} · ${used}${s.writer ? " · this tab writes" : ""}`;
}

function renderWs(status) {
  renderHead(status);
  renderStorage(status);
  const ws = status?.ws;
  const badge = $("ws-badge");
  if (!ws) {
    badge.textContent = "no anchor";
    badge.className = "badge muted";
    for (const id of ["ws-period", "ws-anchor-epoch", "ws-expires", "ws-days"]) $(id).textContent = "–";
    dash.wsDaysLeft = null;
    return;
  }
  const period = num(ws.periodEpochs);
  // The network's epoch length in seconds, as the package reads it from the config.
  const epochSeconds = num(ws.secondsPerEpoch);
  $("ws-period").textContent = period === null ? "–" : `${int(period)} epochs (≈ ${duration(period * epochSeconds)})`;
  $("ws-anchor-epoch").textContent = int(status.anchor?.epoch);
  // The anchor is safe up to and including `expiresEpoch`; it goes stale when the clock enters
  // the next epoch. `currentEpoch` is the package's reading of the wall clock, so the time left is
  // exact to within the current epoch's elapsed part (at most one epoch).
  const epochsLeft = num(ws.expiresEpoch) + 1 - num(ws.currentEpoch);
  const secondsLeft = epochsLeft * epochSeconds;
  const daysLeft = secondsLeft / 86400;
  dash.wsDaysLeft = daysLeft;
  const expiresAt = new Date(num(ws.expiresAt) * 1000);
  $("ws-expires").textContent = `epoch ${int(ws.expiresEpoch)}, ${utc(expiresAt)}${ws.stale ? " (passed)" : ""}`;
  $("ws-days").textContent = ws.stale
    ? `none: stale for ${int(-epochsLeft + 1)} epochs (≈ ${duration((-epochsLeft + 1) * epochSeconds)})`
    : daysLeft >= 2
      ? `${daysLeft.toFixed(1)} days`
      : `${duration(secondsLeft)} (${daysLeft.toFixed(2)} days)`;
  if (ws.stale) {
    badge.textContent = "stale";
    badge.className = "badge bad";
  } else if (period !== null && epochsLeft < period / 10) {
    // The last tenth of the period: time to fetch a fresher checkpoint.
    badge.textContent = "expires soon";
    badge.className = "badge warn";
  } else {
    badge.textContent = "within period";
    badge.className = "badge ok";
  }
}

const TRUST_CLASS = { checkpoint: "ok", "block-root": "ok", "light-client": "info", file: "info", provider: "warn" };

function renderAnchors(anchors, status) {
  const body = $("anchors-body");
  body.replaceChildren();
  if (!anchors || anchors.length === 0) {
    const tr = body.insertRow();
    const td = tr.insertCell();
    td.colSpan = 6;
    td.className = "empty";
    td.textContent = "No anchor stored yet.";
  }
  const active = status?.anchor?.blockRoot ?? status?.anchor?.block_root;
  for (const a of anchors ?? []) {
    const root = a.blockRoot ?? a.block_root;
    const tr = body.insertRow();
    tr.dataset.root = root;
    const c0 = tr.insertCell();
    c0.className = "root";
    c0.title = root;
    c0.textContent = shortRoot(root);
    if (root === active) {
      const b = document.createElement("span");
      b.className = "badge info";
      b.textContent = "active";
      b.style.marginLeft = "0.4rem";
      c0.append(b);
    }
    tr.insertCell().textContent = int(a.slot);
    tr.insertCell().textContent = int(a.epoch);
    tr.insertCell().textContent = a.fork ?? "–";
    const tc = tr.insertCell();
    const tb = document.createElement("span");
    tb.className = `badge ${TRUST_CLASS[a.trust] ?? "muted"}`;
    tb.textContent = a.trust + (a.stale ? " · stale" : "");
    tc.append(tb);
    const providers = a.providers ?? [];
    tr.insertCell().textContent = providers.length ? `${providers.length}` : "–";
    tr.cells[5].title = providers.join("\n");
  }
}

function refresh() {
  if (!sync) return;
  try {
    dash.status = sync.status();
    renderWs(dash.status);
  } catch (e) {
    log(`status(): ${e.message}`, "warn");
  }
}

async function refreshAnchors() {
  if (!sync) return;
  try {
    dash.anchors = await sync.anchors();
    renderAnchors(dash.anchors, dash.status);
  } catch (e) {
    log(`anchors(): ${e.message}`, "warn");
  }
}

function showError(err) {
  const code = err?.code ?? err?.name ?? "ERROR";
  dash.error = { code, message: String(err?.message ?? err), ...expectedActual(err) };
  $("error").hidden = false;
  $("error-code").textContent = code;
  $("error-message").textContent = String(err?.message ?? err);
  const dl = $("error-values");
  dl.replaceChildren();
  const { expected, actual } = expectedActual(err);
  for (const [k, v] of [["Expected", expected], ["Got", actual], ["Provider", err?.provider]]) {
    if (v === undefined || v === null) continue;
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = String(v);
    dl.append(dt, dd);
  }
  $("error-advice").textContent = adviceFor(code);
  log(`${code}: ${err?.message ?? err}`, "bad");
}

function clearError() {
  dash.error = null;
  $("error").hidden = true;
}

// ---------------------------------------------------------------------------------------------
// The run: create, start (checkpoint sync), backfill; pause/resume/cancel; reset

function resetViews() {
  for (const b of ["download", "hash", "backfill"]) setBar(b, 0, 1, "–");
  backfillPoints = [];
  drawChart($("chart"), [], 0);
  dash.timings = {};
  dash.rates = {};
}

/** The block root a trust input names, lower-case, or null (stateId and files name none). */
function namedRoot(opts) {
  const r = opts.checkpoint ? opts.checkpoint.split(":")[0] : opts.trustedBlockRoot;
  return r ? r.toLowerCase() : null;
}

/**
 * Opens the network's database and decides where trust comes from. When the database already
 * holds an active anchor for the very root the form names (a reload, a second visit), the stored,
 * already verified anchor is resumed instead of downloading and hashing the state again;
 * `start()` still checks it against the weak-subjectivity period.
 */
async function openSync(opts) {
  const first = await LightSync.create(opts);
  const stored = first.status()?.anchor;
  const root = namedRoot(opts);
  if (!stored || !root || stored.blockRoot?.toLowerCase() !== root) return { sync: first, resumed: false };
  first.free?.();
  const { checkpoint, trustedBlockRoot, stateId, stateFile, ...rest } = opts;
  return { sync: await LightSync.create(rest), resumed: true };
}

async function run(values) {
  clearError();
  resetViews();
  running = true;
  runT0 = performance.now();
  setPhase("syncing");
  try {
    // Before anything is fetched (a custom network reads the providers' config first).
    const entered = values.urls.split(/[\s,]+/).map((s) => s.trim()).filter((s) => /^https?:\/\//.test(s));
    if (entered.length && !narrowConnections(entered)) {
      // This page may only connect to the providers of its first run (csp.js): the form, as
      // entered, moves to a fresh page that starts at once (the user asked for it here).
      sessionStorage.setItem(CONFIRMED_KEY, "1");
      location.assign(`${location.pathname}?${queryOf(values)}`);
      return;
    }
    const opts = await buildOptions(values);
    await stopFollowing();
    if (sync) {
      try {
        sync.stop();
      } catch {}
      sync.free?.();
      sync = null;
    }
    const opened = await openSync(opts);
    sync = opened.sync;
    sync.on("progress", onProgress);
    sync.on("warning", (w) => log(`${w.code ? `${w.code}: ` : ""}${w.message ?? w}`, "warn"));
    sync.on("status", () => refresh());
    sync.on("followed", (e) => {
      if (e?.advanced) {
        const latency = e.latencyMs === null || e.latencyMs === undefined ? "" : `, ${Math.round(e.latencyMs)} ms after the node's event`;
        log(`Followed to slot ${int(e.tip?.slot)} by ${e.source} (${int(e.linked)} header(s) linked by hash${latency})`);
        renderFollow(e.source === "event" ? "events" : followSource, e.latencyMs);
      }
      refresh();
    });
    sync.on("followSource", (e) => {
      if (e.source === "events") log(`Following by events: ${e.url}`);
      else log(`Event stream unavailable (${e.code}: ${e.message}); polling, retrying in ${Math.round(e.retryInMs / 1000)} s`, "warn");
      renderFollow(e.source, lastLatency);
    });
    sync.on("execution", (e) => {
      log(`Verified execution block #${int(e.execution.blockNumber)} ${shortRoot(e.execution.blockHash)} (${e.source} at slot ${int(e.slot)})`);
      refresh();
    });
    sync.on("followError", (err) => log(`Follow step failed (${err.code}): ${err.message}; tip unchanged`, "warn"));
    if (opened.resumed) {
      log("Resuming from the stored, verified anchor (no new download)");
      setPhase("syncing", "Checking the stored anchor…");
      for (const b of ["download", "hash"]) setBar(b, 1, 1, "stored anchor reused");
    } else if (opts.stateFile) {
      const size = opts.stateFile.size ?? opts.stateFile.byteLength;
      log(`Seeding from a local state file (${mb(size)}), ${values.longRange} mode`);
      setBar("download", size, size, `local file, ${mb(size)}`);
    } else {
      log(`Checkpoint sync from ${opts.beaconApiUrls.length} provider(s), ${values.longRange} mode`);
    }
    const anchor = await sync.start();
    dash.anchor = anchor;
    dash.resumed = opened.resumed;
    dash.timings.checkpointSeconds = (performance.now() - runT0) / 1000;
    const rebuilt = opened.resumed && anchor.blockRoot?.toLowerCase() !== namedRoot(opts);
    const how = rebuilt ? "rebuilt by light-client verification, new anchor" : opened.resumed ? "in use" : "stored";
    log(`Anchor ${how}: ${anchor.blockRoot} at slot ${anchor.slot} (trust: ${anchor.trust})`);
    setPhase("anchored");
    refresh();
    await refreshAnchors();
    dash.headersStored = sync.status().headers;
    $("headers-stored").textContent = int(dash.headersStored);
    if (values.autoBackfill) await runBackfill();
    else {
      running = false;
      setPhase("done", "Anchor verified and stored (backfill not requested).");
    }
    startFollowing();
  } catch (err) {
    running = false;
    if (err?.code === "ABORTED" && (dash.phase === "paused" || dash.phase === "cancelled")) return;
    setPhase("error");
    showError(err);
    refresh();
    await refreshAnchors();
  }
}

async function runBackfill() {
  setPhase("backfilling");
  backfillT0 = performance.now();
  // The package's progress counts this run's headers; a resumed backfill shows the whole count.
  backfillBase = sync.status().headers;
  backfillPoints = [{ t: 0, n: backfillBase }];
  dash.headersStored = backfillBase;
  log(backfillBase ? `Backfill resumed: ${int(backfillBase)} headers already stored` : "Backfill started");
  const summary = await sync.backfill();
  const seconds = (performance.now() - backfillT0) / 1000;
  dash.timings.backfillSeconds = seconds;
  dash.backfillSummary = summary;
  dash.headersStored = backfillBase + (num(summary?.stored) ?? 0);
  dash.tail = { slot: summary?.oldestSlot, root: summary?.oldestRoot };
  dash.rates.headersPerSecond = num(summary?.headersPerSecond) ?? dash.rates.headersPerSecond;
  $("headers-stored").textContent = int(dash.headersStored);
  $("tail").textContent = `slot ${int(summary?.oldestSlot)} (${shortRoot(summary?.oldestRoot)})`;
  $("tail").title = summary?.oldestRoot ?? "";
  await refreshAnchors();
  dash.timings.totalSeconds = (performance.now() - runT0) / 1000;
  running = false;
  setPhase("done");
  log(`Backfill complete: ${int(summary?.stored)} headers stored in this run (${duration(seconds)}), down to slot ${int(summary?.oldestSlot)}`);
}

// Following after a sync: the source of new finalized blocks (the node's event stream, or polling
// while it is unavailable) and the latest latency from a node's event to the stored tip.
let followSource = "polling";
let lastLatency = null;
function renderFollow(source, latencyMs) {
  followSource = source;
  lastLatency = latencyMs ?? lastLatency;
  const latency = lastLatency === null ? "" : `, last ${Math.round(lastLatency)} ms from event to stored tip`;
  $("follow-source").textContent = `${source}${latency}`;
}

// Keeps the head moving once an anchor is stored (stops with sync.stop() or a new run).
let following = null;
function startFollowing() {
  renderFollow("polling", null);
  following = sync.follow({}).catch((err) => {
    if (err?.code !== "ABORTED") log(`follow(): ${err.code}: ${err.message}`, "warn");
  });
}

// Ends following (resolves once its loop has returned), before a reset or another run.
async function stopFollowing() {
  if (!following) return;
  try {
    sync?.stop();
  } catch {}
  await following;
  following = null;
}

function stopSync() {
  try {
    sync?.stop();
  } catch (e) {
    log(`stop(): ${e.message}`, "warn");
  }
}

$("pause").addEventListener("click", () => {
  // The backfill stops after its current batch; its Promise stays pending until resumed.
  sync?.pauseBackfill?.();
  setPhase("paused");
  log("Backfill paused (after the current batch)");
  $("resume").focus();
});

$("resume").addEventListener("click", () => {
  sync?.resumeBackfill?.();
  setPhase("backfilling");
  log("Backfill resumed");
  $("pause").focus();
});

$("cancel").addEventListener("click", () => {
  const wasBackfilling = dash.phase === "backfilling" || dash.phase === "paused";
  setPhase("cancelled");
  if (wasBackfilling) $("backfill-value").textContent = `cancelled · ${int(dash.headersStored)} headers kept`;
  sync?.resumeBackfill?.(); // let a paused run reach its abort check
  stopSync();
  running = false;
  log("Cancelled by the user; what was stored is kept and verified");
});

$("reset").addEventListener("click", () => $("reset-dialog").showModal());
/** `genesis_validators_root` of the built-in networks (their config), naming their databases. */
const BUILT_IN_GVR = {
  mainnet: "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95",
  sepolia: "0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078",
  holesky: "0x9143aa7c615a7f7115e2b6aac319c03529df8242ae705fba9df39b79c59fa8b1",
  hoodi: "0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f",
};

/**
 * Deletes the selected network's database: through the package when it offers `reset()`, else by
 * its IndexedDB name (`beacon-lightsync-<genesis validators root>`); the package's open
 * connection closes itself on the deletion's `versionchange`.
 */
async function resetDatabase() {
  await stopFollowing();
  if (typeof sync?.reset === "function") return sync.reset();
  const values = readForm();
  let gvr = BUILT_IN_GVR[values.network];
  if (!gvr) gvr = await genesisRootFromProvider((await buildOptions(values)).beaconApiUrls[0]);
  const name = `beacon-lightsync-${gvr.toLowerCase()}`;
  sync?.free?.();
  sync = null;
  await new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(Object.assign(new Error(`deleting ${name}: ${req.error}`), { code: "STORE" }));
    req.onblocked = () => log("Waiting for other tabs to close this database…", "warn");
  });
}

$("reset-dialog").addEventListener("close", async () => {
  if ($("reset-dialog").returnValue !== "confirm") return;
  try {
    await resetDatabase();
    log("Database reset: anchors and headers deleted", "warn");
    dash.anchors = [];
    dash.anchor = null;
    dash.status = null;
    dash.headersStored = 0;
    renderAnchors([], null);
    renderWs(null);
    $("headers-stored").textContent = "0";
    $("tail").textContent = "–";
    resetViews();
    clearError();
    setPhase("idle", "Database reset. Ready to start again.");
  } catch (err) {
    setPhase("error");
    showError(err);
  }
});

form.addEventListener("change", (e) => {
  if (e.target.name === "trust") showTrustFields();
});

form.addEventListener("submit", (e) => {
  e.preventDefault();
  if (running) return;
  const values = readForm();
  try {
    const { urls, network, longRange, targetSlot, batchSize, concurrency } = values;
    localStorage.setItem(FORM_KEY, JSON.stringify({ urls, network, longRange, targetSlot, batchSize, concurrency }));
  } catch {}
  run(values);
});

// ---------------------------------------------------------------------------------------------
// Start-up

async function main() {
  const q = new URLSearchParams(location.search);
  let remembered = {};
  try {
    remembered = JSON.parse(localStorage.getItem(FORM_KEY) ?? "{}");
  } catch {}
  fillForm({ ...remembered, ...valuesFromQuery(q) });
  drawChart($("chart"), [], 0);
  setPhase("loading");
  try {
    await init();
  } catch (err) {
    setPhase("error", "The WebAssembly module did not load.");
    showError(Object.assign(new Error(`init(): ${err.message}`), { code: err.code ?? "WASM_LOAD" }));
    return;
  }
  setPhase("idle");
  log(`WebAssembly module loaded${lightsync.version ? ` (beacon-lightsync ${lightsync.version()})` : ""}`);
  if (lightsync.backfillDefaults) {
    const d = lightsync.backfillDefaults();
    form.batchSize.placeholder = `${d.batchSize} (default)`;
    form.concurrency.placeholder = `${d.concurrency} (default)`;
  }
  // Days left move with the wall clock even when nothing else happens.
  setInterval(() => sync && refresh(), 60_000);
  if (q.get("autostart") === "1") autostart(readForm());
}

/**
 * `autostart=1` from a link: starts at once when every provider is on this machine (or the user
 * has just started this run on the previous page); otherwise asks first, so a link cannot make the
 * page download from, and trust, remote providers without the user's word.
 */
function autostart(values) {
  const confirmed = sessionStorage.getItem(CONFIRMED_KEY) === "1";
  sessionStorage.removeItem(CONFIRMED_KEY);
  const urls = values.urls.split(/[\s,]+/).filter(Boolean);
  const remote = remoteProviders(urls);
  if (confirmed || remote.length === 0) return run(values);
  const list = $("autostart-providers");
  list.replaceChildren(
    ...remote.map((u) => {
      const li = document.createElement("li");
      li.textContent = u;
      return li;
    }),
  );
  setPhase("idle", "Waiting for your confirmation to start.");
  const dialog = $("autostart-dialog");
  dialog.addEventListener(
    "close",
    () => {
      if (dialog.returnValue === "confirm") run(values);
      else log("Autostart declined: nothing was fetched. Press Start to sync.");
    },
    { once: true },
  );
  dialog.showModal();
}

/** The query string that prefills the form with `values` (as valuesFromQuery reads it) and starts
 * it, except for a local state file, which a page cannot pass on: that one waits to be picked again. */
function queryOf(values) {
  const q = new URLSearchParams();
  q.set("network", values.network);
  q.set("urls", values.urls.split(/[\s,]+/).filter(Boolean).join(","));
  if (values.trust !== "file") q.set(values.trust, values[values.trust]);
  for (const k of ["longRange", "targetSlot", "batchSize", "concurrency"]) if (values[k]) q.set(k, values[k]);
  q.set("backfill", values.autoBackfill ? "1" : "0");
  if (values.trust !== "file") q.set("autostart", "1");
  return q;
}

main();
