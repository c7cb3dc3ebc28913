/** The overview: calls, denials and rate-limit hits over a chosen range, as totals and charts. */
import { get } from "../api.js";
import { barChart } from "../chart.js";
import { h, routeWithQuery } from "../dom.js";
import { count, duration, time } from "../format.js";

const RANGES = [
  { key: "1h", label: "last hour", ms: 3_600_000 },
  { key: "6h", label: "6 hours", ms: 6 * 3_600_000 },
  { key: "24h", label: "24 hours", ms: 24 * 3_600_000 },
  { key: "7d", label: "7 days", ms: 7 * 24 * 3_600_000 },
];
const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export async function renderOverview(context) {
  const range = RANGES.find((r) => r.key === context.query.get("range")) ?? RANGES[2];
  const to = Date.now();
  const span = { from: to - range.ms, to };
  const [body, agents, limits] = await Promise.all([
    get("overview", span),
    get("rollups/agents", span),
    get("rollups/rate-limits", span),
  ]);
  const { totals = {}, series = [] } = body;
  const bucketMs = BUCKET_MS[body.bucket] ?? 3_600_000;
  const points = (key) => series.map((point) => ({ t: point.start, value: point[key] ?? 0 }));
  context.show(
    h("h1", {}, "Overview"),
    h(
      "nav",
      { class: "ranges", "aria-label": "time range" },
      RANGES.map((r) =>
        h(
          "a",
          {
            class: "range",
            href: routeWithQuery("", { range: r.key }),
            "aria-current": r === range ? "page" : null,
            testid: `range-${r.key}`,
          },
          r.label,
        ),
      ),
    ),
    h("p", { class: "muted" }, `${time(body.from)} – ${time(body.to)}, per ${body.bucket ?? "hour"}`),
    h(
      "ul",
      { class: "tiles", testid: "overview-totals" },
      tile("calls", totals.calls, "overview-calls", routeWithQuery("search", {})),
      tile("denied", totals.denials, "overview-denials", routeWithQuery("search", { decision: "deny" })),
      tile(
        "rate-limited",
        totals.rateLimited,
        "overview-rate-limited",
        routeWithQuery("search", { decision: "rate_limited" }),
      ),
      tile(
        "held for approval",
        totals.approvalsRequested,
        "overview-held",
        routeWithQuery("search", { decision: "approval_required" }),
      ),
      tile("sessions", totals.sessions, "overview-sessions", "#/sessions"),
      tile("agents", totals.agents, "overview-agents", null),
    ),
    h(
      "div",
      { class: "charts" },
      barChart({
        title: "Calls",
        points: points("calls"),
        bucketMs,
        className: "calls",
        testid: "chart-calls",
        unit: "calls",
      }),
      barChart({
        title: "Denials",
        points: points("denials"),
        bucketMs,
        className: "denials",
        testid: "chart-denials",
        unit: "denials",
      }),
      barChart({
        title: "Rate-limit hits",
        points: points("rateLimited"),
        bucketMs,
        className: "rate-limited",
        testid: "chart-rate-limited",
        unit: "rate-limited calls",
      }),
    ),
    h(
      "div",
      { class: "rollups" },
      h(
        "section",
        {},
        h("h2", {}, "Agents"),
        rollupTable(
          "rollup-agents",
          ["agent", "grants", "sessions", "calls", "denied", "rate-limited", "held"],
          (agents.rows ?? []).map((row) => [
            h("a", { href: routeWithQuery("sessions", { agent: row.agent }) }, row.agent),
            row.grants.join(", "),
            count(row.sessions),
            count(row.calls),
            count(row.denials),
            count(row.rateLimited),
            count(row.approvalsRequested),
          ]),
        ),
      ),
      h(
        "section",
        {},
        h("h2", {}, "Limits that tripped"),
        rollupTable(
          "rollup-rate-limits",
          ["limit", "counter", "hits", "agents", "last hit"],
          (limits.rows ?? []).map((row) => [
            h(
              "a",
              { class: "rule", href: routeWithQuery("search", { rule: row.rule, decision: "rate_limited" }) },
              row.rule,
            ),
            `${row.counter}: ${row.max} per ${duration(row.windowMs)} per ${row.scope}`,
            count(row.hits),
            row.agents.join(", "),
            time(row.lastAt),
          ]),
          "No call was rate-limited in this range.",
        ),
      ),
    ),
  );
}

function rollupTable(testid, headings, rows, empty = "Nothing recorded in this range.") {
  if (rows.length === 0) return h("p", { class: "muted", testid }, empty);
  return h(
    "table",
    { class: "list", testid },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        headings.map((label) => h("th", { scope: "col" }, label)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((cells) =>
        h(
          "tr",
          {},
          cells.map((cell) => h("td", {}, cell)),
        ),
      ),
    ),
  );
}

function tile(label, value, testid, href) {
  const figure = h("strong", { testid }, count(value ?? 0));
  return h(
    "li",
    { class: "tile" },
    href
      ? h("a", { class: "tile-link", href }, figure, h("span", {}, label))
      : [figure, h("span", {}, label)],
  );
}
