// The dashboard's Content-Security-Policy and its guard against links that start a sync unasked.
//
// index.html carries the base policy as the first element of <head>: scripts, styles, workers and
// the wasm module come from this origin only ('wasm-unsafe-eval' lets WebAssembly compile, nothing
// lets JavaScript be evaluated from strings), and connections may go to any http(s) origin, because
// the providers are typed into the form. When a sync starts, `narrowConnections` adds a second policy
// that allows connections to this origin and the entered providers only. A browser enforces every
// policy present, so a policy can only narrow what the earlier ones allow, never widen it: a run with
// other providers therefore needs a fresh page, which the caller loads.

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
const NARROW_ID = "csp-connect";

/** The origins (scheme, host, port) of `urls`, sorted and without repeats. */
export function originsOf(urls) {
  return [...new Set(urls.map((u) => new URL(u).origin))].sort();
}

/**
 * Limits this page's connections to its own origin and those of `urls`. Returns false when an
 * earlier run already limited them to other origins (the page must be reloaded to connect to these).
 */
export function narrowConnections(urls) {
  const origins = originsOf(urls);
  const present = document.getElementById(NARROW_ID);
  if (present) return present.dataset.origins === origins.join(" ");
  const meta = document.createElement("meta");
  meta.id = NARROW_ID;
  meta.httpEquiv = "Content-Security-Policy";
  meta.content = `connect-src 'self' ${origins.join(" ")}`;
  meta.dataset.origins = origins.join(" ");
  document.head.append(meta);
  return true;
}

/** The providers among `urls` that are not on this machine (loopback), for which a link's
 * `autostart` must be confirmed by the user. */
export function remoteProviders(urls) {
  return urls.filter((u) => {
    try {
      return !LOCAL_HOSTS.has(new URL(u).hostname);
    } catch {
      return true;
    }
  });
}
