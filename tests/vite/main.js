// The npm package as an application imports it: by its name, resolved and bundled by Vite (the
// `beacon-lightsync` alias in vite.config.mjs points at the generated pkg/, whose package.json
// `exports` Vite follows). With `?url=…&checkpoint=…&network=provider` it also runs a checkpoint
// sync against that Beacon API; the end-to-end test reads `window.viteResult`.
import init, { LightSync } from "beacon-lightsync";

async function networkFromProvider(url) {
  const get = async (path) => (await (await fetch(url + path)).json()).data;
  const [spec, genesis] = await Promise.all([get("/eth/v1/config/spec"), get("/eth/v1/beacon/genesis")]);
  return { ...spec, GENESIS_VALIDATORS_ROOT: genesis.genesis_validators_root };
}

async function main() {
  await init();
  const q = new URLSearchParams(location.search);
  const result = { loaded: true, exports: typeof LightSync };
  const url = q.get("url");
  if (url) {
    const sync = await LightSync.create({
      network: await networkFromProvider(url),
      beaconApiUrls: [url],
      checkpoint: q.get("checkpoint"),
    });
    const anchor = await sync.start();
    result.anchor = { blockRoot: anchor.blockRoot, slot: String(anchor.slot), trust: anchor.trust };
  }
  return result;
}

main().then(
  (r) => {
    window.viteResult = r;
    document.getElementById("result").textContent = JSON.stringify(r);
  },
  (e) => {
    window.viteResult = { error: { code: e?.code ?? null, message: String(e?.message ?? e) } };
    document.getElementById("result").textContent = `error: ${e?.code ?? ""} ${e?.message ?? e}`;
  },
);
