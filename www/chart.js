// A small SVG line chart of backfill progress: headers stored (y) against seconds since the backfill
// began (x). Plain SVG keeps the page free of dependencies and readable by screen readers through
// the figure's caption; the latest value is also in the Progress bar's text.

const NS = "http://www.w3.org/2000/svg";
const W = 600;
const H = 180;
const PAD = { left: 52, right: 12, top: 12, bottom: 24 };

function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Rounds up to a "round" number (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8 times a power of ten) whose
 * quarters are readable axis labels, without leaving most of the chart empty. */
function niceCeil(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * Draws `points` ([{ t: seconds, n: headers }]) into `svg`, with the y axis up to at least `total`
 * when the total is known so the line shows how far there is still to go.
 */
export function drawChart(svg, points, total) {
  svg.replaceChildren();
  if (points.length === 0) {
    svg.append(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "no backfill yet"));
    return;
  }
  const tMax = Math.max(1, ...points.map((p) => p.t));
  const nMax = niceCeil(Math.max(total || 0, ...points.map((p) => p.n), 1));
  const x = (t) => PAD.left + (t / tMax) * (W - PAD.left - PAD.right);
  const y = (n) => H - PAD.bottom - (n / nMax) * (H - PAD.top - PAD.bottom);
  for (let i = 0; i <= 4; i++) {
    const v = (nMax * i) / 4;
    svg.append(el("line", { class: "gridline", x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }));
    svg.append(el("text", { x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end" }, Math.round(v).toLocaleString("en-US")));
  }
  svg.append(el("line", { class: "axis", x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: H - PAD.bottom }));
  svg.append(el("line", { class: "axis", x1: PAD.left, x2: W - PAD.right, y1: H - PAD.bottom, y2: H - PAD.bottom }));
  for (let i = 0; i <= 4; i++) {
    const t = (tMax * i) / 4;
    const anchor = i === 0 ? "start" : i === 4 ? "end" : "middle";
    svg.append(el("text", { x: x(t), y: H - 6, "text-anchor": anchor }, `${t.toFixed(tMax < 10 ? 1 : 0)} s`));
  }
  const pts = points.map((p) => `${x(p.t).toFixed(1)},${y(p.n).toFixed(1)}`);
  const first = points[0];
  const last = points[points.length - 1];
  svg.append(
    el("polygon", {
      class: "area",
      points: `${x(first.t)},${y(0)} ${pts.join(" ")} ${x(last.t)},${y(0)}`,
    }),
  );
  svg.append(el("polyline", { class: "line", points: pts.join(" ") }));
}
