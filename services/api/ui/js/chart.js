/**
 * A small bar chart over time as inline SVG: one bar per bucket, its own scale, a <title> on every
 * bar for the exact figure. Built with createElementNS and text nodes only.
 */
import { h, s } from "./dom.js";
import { count, time } from "./format.js";

const WIDTH = 420;
const HEIGHT = 130;
const LEFT = 36;
const BOTTOM = 20;
const TOP = 8;

/**
 * points: [{ t: epoch ms (bucket start), value: number }], bucketMs: bucket length.
 * Returns a <figure> with a caption and the chart.
 */
export function barChart({ title, points, bucketMs, className, testid, unit }) {
  const max = Math.max(1, ...points.map((point) => point.value));
  const plotWidth = WIDTH - LEFT - 4;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const step = plotWidth / Math.max(points.length, 1);
  const y = (value) => TOP + plotHeight - (value / max) * plotHeight;
  const bars = points.map((point, index) => {
    const top = y(point.value);
    return s(
      "rect",
      {
        class: `bar ${className}`,
        x: (LEFT + index * step + step * 0.1).toFixed(1),
        y: top.toFixed(1),
        width: Math.max(step * 0.8, 1).toFixed(1),
        height: Math.max(TOP + plotHeight - top, point.value > 0 ? 1 : 0).toFixed(1),
        "data-value": point.value,
      },
      s("title", {}, `${time(point.t)} – ${time(point.t + bucketMs)}: ${count(point.value)} ${unit}`),
    );
  });
  const first = points[0];
  const last = points.at(-1);
  return h(
    "figure",
    { class: "chart", testid },
    h(
      "figcaption",
      {},
      h("span", {}, title),
      h(
        "span",
        { class: "muted", testid: `${testid}-peak` },
        `peak ${count(Math.max(0, ...points.map((p) => p.value)))}`,
      ),
    ),
    s(
      "svg",
      { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": `${title} over time` },
      s("line", { class: "axis", x1: LEFT, y1: TOP + plotHeight, x2: WIDTH, y2: TOP + plotHeight }),
      s("text", { class: "tick", x: LEFT - 6, y: TOP + 8, "text-anchor": "end" }, count(max)),
      s("text", { class: "tick", x: LEFT - 6, y: TOP + plotHeight, "text-anchor": "end" }, "0"),
      first && s("text", { class: "tick", x: LEFT, y: HEIGHT - 4 }, time(first.t).slice(5, 16)),
      last &&
        points.length > 1 &&
        s(
          "text",
          { class: "tick", x: WIDTH - 4, y: HEIGHT - 4, "text-anchor": "end" },
          time(last.t).slice(5, 16),
        ),
      bars,
    ),
  );
}
