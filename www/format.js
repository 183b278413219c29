// Number and time formatting for the dashboard. Sizes use decimal megabytes (1 MB = 1e6 bytes), the
// unit download speeds are usually quoted in; u64 values from the package arrive as BigInt or as
// decimal strings and are converted here, once, for display only.

/** A u64 from the package (BigInt, decimal string or number) as a JS number, or null. */
export function num(v) {
  if (v === undefined || v === null || v === "") return null;
  if (typeof v === "bigint") return Number(v);
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Bytes as "12.3 MB". */
export function mb(bytes) {
  const n = num(bytes);
  if (n === null) return "–";
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} kB`;
  return `${(n / 1e6).toFixed(n < 1e8 ? 1 : 0)} MB`;
}

/** Bytes per second as "12.3 MB/s". */
export function mbps(rate) {
  const n = num(rate);
  return n === null ? "" : `${(n / 1e6).toFixed(1)} MB/s`;
}

/** An integer with thousands separators. */
export function int(v) {
  const n = num(v);
  return n === null ? "–" : Math.round(n).toLocaleString("en-US");
}

/** Seconds as "1 h 02 min", "3 min 05 s" or "12 s". */
export function duration(seconds) {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, "0")} min`;
  return `${Math.floor(h / 24)} days`;
}

/** A 0x root shortened to "0x1234…abcd" (the full value goes in a title attribute). */
export function shortRoot(root) {
  if (typeof root !== "string" || root.length < 14) return root ?? "–";
  return `${root.slice(0, 6)}…${root.slice(-4)}`;
}

/** A Date (or unix seconds, or an ISO string) as "2026-11-21 14:05 UTC". */
export function utc(when) {
  let d = when;
  if (!(d instanceof Date)) {
    const n = num(when);
    d = n !== null ? new Date(n * 1000) : new Date(when);
  }
  if (Number.isNaN(d.getTime())) return "–";
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
