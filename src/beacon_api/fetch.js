// One GET of the browser transport (src/beacon_api/wasm.rs), started and, for a small body of
// announced length, finished in one call from the wasm.
//
// Why in JavaScript: a backfill makes hundreds of header requests a second, and each step of a
// request driven from Rust (the timer, the signal, the init object, the call, each response
// header, the body) is a call across the wasm boundary with its own glue, plus one more to drop
// every handle. Here the whole request is one call and one promise; the wasm gets back the
// status, the headers as one string and the body as one array.
//
// The rules stay where they were: the wasm checks the announced length against its limit, the
// truncation, the status and everything in the body. This file only moves bytes:
// - `timeoutMs`: an AbortController aborted by a timer; combined with the caller's `signal` by
//   AbortSignal.any where the browser has it (else the caller's signal alone, as before).
// - `smallMax`: a body whose Content-Length is a plain decimal of at most this many bytes is read
//   here with one arrayBuffer(), and the timer is cleared. Any other answer (no length, a larger
//   one, or `smallMax` < 0 for a body a sink takes) comes back with its Response and its timer
//   still running: the wasm reads the body chunk by chunk under its pace rules and clears the
//   timer when it is done (`Deadline` there).
//
// Resolves to [status, headers, body] (small body) or [status, headers, null, response,
// timerSignal, timerId]; `headers` is "name:value\n" per header, names in lower case (a header
// value holds no line break, and a name no colon). Rejects with [stage, timedOut, error,
// announcedLength]: stage 0 before the response head arrived, 1 while the small body was read.

export function getOnce(url, accept, timeoutMs, signal, smallMax) {
  let controller = null;
  let timer;
  if (typeof AbortController === "function" && typeof setTimeout === "function") {
    controller = new AbortController();
    timer = setTimeout(() => controller.abort(), timeoutMs);
  }
  const clear = () => {
    if (controller !== null) clearTimeout(timer);
  };
  const fail = (stage, length) => (error) => {
    const timedOut = controller !== null && controller.signal.aborted;
    clear();
    throw [stage, timedOut, error, length];
  };
  try {
    if (typeof fetch !== "function") throw new Error("this global has no fetch");
    const init = { headers: { Accept: accept } };
    if (signal && controller !== null)
      init.signal = typeof AbortSignal.any === "function" ? AbortSignal.any([signal, controller.signal]) : signal;
    else if (signal || controller !== null) init.signal = signal || controller.signal;
    return fetch(url, init).then((response) => {
      let head = "";
      for (const [name, value] of response.headers) head += `${name}:${value}\n`;
      const announced = response.headers.get("content-length");
      const length = announced !== null && /^[0-9]+$/.test(announced.trim()) ? Number(announced) : -1;
      if (length < 0 || length > smallMax)
        return [response.status, head, null, response, controller === null ? null : controller.signal, timer];
      return response.arrayBuffer().then((body) => {
        clear();
        return [response.status, head, new Uint8Array(body)];
      }, fail(1, length));
    }, fail(0, -1));
  } catch (error) {
    clear();
    return Promise.reject([0, false, error, -1]);
  }
}
