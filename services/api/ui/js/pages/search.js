/**
 * Search: calls by who, what and how they were decided, and by their (redacted) arguments — text
 * anywhere in them, or a value at a JSON path. The form lives in the URL, so a search is a link.
 */
import { get } from "../api.js";
import { h, json, route, routeWithQuery } from "../dom.js";
import { count, duration, time } from "../format.js";
import { badge } from "./timeline.js";

const PAGE = 100;
const FILTERS = ["agent", "grant", "session", "server", "tool", "rule"];
const ARGUMENT_FIELDS = ["q", "path", "contains", "equals"];
const DECISIONS = ["", "allow", "deny", "rate_limited", "approval_required"];

export async function renderSearch(context) {
  const values = Object.fromEntries(
    [...ARGUMENT_FIELDS, ...FILTERS, "decision", "from", "to"].map((name) => [
      name,
      context.query.get(name) ?? "",
    ]),
  );
  const form = searchForm(values);
  const byArguments = ARGUMENT_FIELDS.some((name) => values[name] !== "");
  const asked = Object.values(values).some((value) => value !== "");
  const results = h("div", { testid: "search-results" });
  context.show(h("h1", {}, "Search"), form, results);
  if (!asked) {
    results.append(h("p", { class: "muted" }, "All calls, newest first, until you narrow them."));
  }
  const query = {
    ...values,
    path: pathKeys(values.path),
    from: isoOrEmpty(values.from),
    to: isoOrEmpty(values.to),
    limit: PAGE,
  };
  const table = resultsTable(byArguments);
  const more = h("button", { type: "button", testid: "search-more", hidden: true }, "More results");
  let shown = 0;
  const load = async (cursor) => {
    const page = await get(byArguments ? "search" : "calls", { ...query, cursor });
    for (const call of page.calls ?? []) table.body.append(resultRow(call, byArguments));
    shown += page.calls?.length ?? 0;
    more.hidden = page.nextCursor === undefined;
    more.onclick = async () => {
      more.disabled = true;
      await load(page.nextCursor);
      more.disabled = false;
    };
    summary.textContent = `${count(shown)} call decision${shown === 1 ? "" : "s"}${more.hidden ? "" : " so far"}`;
  };
  const summary = h("p", { class: "muted", testid: "search-summary" });
  results.append(summary, table.element, more);
  await load(undefined);
}

function searchForm(values) {
  const input = (name, placeholder, attributes = {}) =>
    h("input", {
      name,
      value: values[name],
      placeholder,
      "aria-label": placeholder,
      testid: `search-${name}`,
      ...attributes,
    });
  const decision = h(
    "select",
    { name: "decision", testid: "search-decision", "aria-label": "decision" },
    DECISIONS.map((value) =>
      h("option", { value, selected: value === values.decision }, value === "" ? "any decision" : value),
    ),
  );
  const form = h(
    "form",
    { class: "search", testid: "search-form" },
    h(
      "fieldset",
      {},
      h("legend", {}, "in the arguments"),
      input("q", "text anywhere in the arguments", { type: "search", size: 36 }),
      input("path", "JSON path, e.g. command or metadata.name"),
      input("contains", "value contains"),
      input("equals", "value equals"),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "calls"),
      FILTERS.map((name) => input(name, name)),
      decision,
      h("label", {}, "from ", input("from", "from", { type: "datetime-local", step: 1 })),
      h("label", {}, "to ", input("to", "to", { type: "datetime-local", step: 1 })),
    ),
    h("button", { type: "submit", testid: "search-submit" }, "Search"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    location.hash = routeWithQuery(
      "search",
      Object.fromEntries(Object.entries(data).map(([k, v]) => [k, String(v).trim()])),
    );
  });
  return form;
}

function resultsTable(withArguments) {
  const body = h("tbody", {});
  const headings = ["time", "agent", "tool", "decision", "rule", "reason", "completion", "session"];
  if (withArguments) headings.push("arguments");
  const element = h(
    "table",
    { class: "list", testid: "results-table" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        headings.map((label) => h("th", { scope: "col" }, label)),
      ),
    ),
    body,
  );
  return { element, body };
}

function resultRow(call, withArguments) {
  return h(
    "tr",
    { testid: "result-row", dataset: { tool: call.tool, outcome: call.decision, event: call.eventId } },
    h("td", {}, h("a", { href: route("events", call.eventId), testid: "result-event" }, time(call.time))),
    h("td", {}, call.agent, h("span", { class: "muted" }, ` (${call.grant})`)),
    h("td", {}, call.tool),
    h(
      "td",
      {},
      badge(call.decision),
      call.approval === "granted" ? h("span", { class: "pill" }, "after approval") : null,
    ),
    h("td", {}, h("span", { class: "rule" }, call.rule)),
    h("td", { class: "reason" }, call.reason),
    h(
      "td",
      {},
      call.status ?? "—",
      call.latencyMs !== undefined && call.status !== "denied" ? ` ${duration(call.latencyMs)}` : "",
    ),
    h("td", {}, h("a", { href: route("sessions", call.session), testid: "result-session" }, "timeline")),
    withArguments ? h("td", {}, h("details", {}, h("summary", {}, "show"), json(call.arguments))) : null,
  );
}

/** datetime-local gives local time without a zone: the API takes ISO 8601, so send it with one. */
function isoOrEmpty(value) {
  if (value === "") return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

/** `metadata.name` or `spec.containers[0].image` → the keys the API takes, one `path` parameter each. */
export function pathKeys(text) {
  if (text === "") return [];
  return text
    .replace(/\[(\d+)\]/g, ".$1")
    .split(".")
    .filter((key) => key !== "");
}
