/**
 * One session, every event in order, grouped by call: the decision (rule, reason, counters), a
 * hold and who answered it, the re-decision after an approval, and how the call completed.
 */
import { get, segment } from "../api.js";
import { h, json, route, routeWithQuery } from "../dom.js";
import { clock, count, counter, duration, outcome, shortId, time } from "../format.js";

/** Pages of events fetched before the rest is left to a button (a session is rarely this long). */
const EAGER_PAGES = 10;
const PAGE = 500;

export async function renderTimeline(context) {
  const [sessionId] = context.params;
  const events = [];
  let cursor;
  for (let page = 0; page < EAGER_PAGES; page++) {
    const body = await get(`sessions/${segment(sessionId)}/timeline`, { limit: PAGE, cursor });
    events.push(...(body.events ?? []));
    cursor = body.nextCursor;
    if (cursor === undefined || !context.isCurrent()) break;
  }
  const list = h("ol", { class: "timeline", testid: "timeline" });
  const calls = new Map();
  const add = (entries) => {
    for (const entry of entries) {
      if (entry.callId === undefined) {
        list.append(h("li", { class: "plain" }, eventRow(entry)));
        continue;
      }
      let call = calls.get(entry.callId);
      if (call === undefined) {
        call = callCard(entry);
        calls.set(entry.callId, call);
        list.append(call.element);
      }
      call.add(entry);
    }
  };
  add(events);
  const more =
    cursor === undefined
      ? null
      : h("button", { type: "button", testid: "timeline-more" }, "Load later events");
  more?.addEventListener("click", async () => {
    more.disabled = true;
    const body = await get(`sessions/${segment(sessionId)}/timeline`, { limit: PAGE, cursor });
    add(body.events ?? []);
    cursor = body.nextCursor;
    if (cursor === undefined) more.remove();
    else more.disabled = false;
  });
  context.show(sessionHeader(sessionId, events, calls), list, more);
}

function sessionHeader(sessionId, events, calls) {
  const start = events[0];
  const end = events.at(-1);
  const decided = events.filter((e) => e.type === "call.decided");
  // Per call: its first decision says whether it was refused or held; its last, whether it ran.
  const first = new Map();
  const last = new Map();
  for (const entry of decided) {
    if (!first.has(entry.callId)) first.set(entry.callId, entry.decision);
    last.set(entry.callId, entry.decision);
  }
  const tally = (map, value) => [...map.values()].filter((outcome) => outcome === value).length;
  const agentOf = decided[0] ?? {};
  return h(
    "section",
    { class: "session-head", testid: "session-head" },
    h("h1", {}, "Session ", h("code", { testid: "session-id" }, sessionId)),
    h(
      "p",
      { class: "muted" },
      start ? `${time(start.time)} – ${time(end.time)} · ` : "",
      `${plural(calls.size, "call")} · ${plural(events.length, "event")}`,
      agentOf.instance ? ` · gateway ${agentOf.instance}` : "",
    ),
    h(
      "ul",
      { class: "tallies" },
      h("li", { testid: "session-allowed" }, `${count(tally(last, "allow"))} allowed`),
      h("li", { testid: "session-denied" }, `${count(tally(first, "deny"))} denied`),
      h("li", { testid: "session-rate-limited" }, `${count(tally(first, "rate_limited"))} rate-limited`),
      h("li", { testid: "session-held" }, `${count(tally(first, "approval_required"))} held for approval`),
    ),
    h(
      "p",
      {},
      h("a", { href: routeWithQuery("search", { session: sessionId }) }, "Search this session's calls"),
    ),
  );
}

/** A call's card; entries are added as they come (a call's events may span pages). */
function callCard(first) {
  const summary = h("div", { class: "call-summary" });
  const rows = h("ol", { class: "call-events" });
  const element = h(
    "li",
    { class: "call", testid: "timeline-call", dataset: { call: first.callId } },
    summary,
    rows,
  );
  let decidedFirst;
  let finalDecision;
  let completion;
  const render = () => {
    const decision = finalDecision ?? decidedFirst;
    if (decision === undefined) return;
    element.dataset.tool = decision.tool;
    element.dataset.outcome = decision.decision;
    summary.replaceChildren(
      ...[
        h("span", { class: "when" }, clock(decidedFirst?.time ?? first.time)),
        h("strong", { class: "tool", testid: "call-tool" }, decision.tool),
        badge(decision.decision, "call-outcome"),
        completion
          ? h(
              "span",
              { class: `status status-${completion.status}`, testid: "call-status" },
              completion.status,
            )
          : null,
        completion && completion.status !== "denied"
          ? h("span", { class: "muted" }, duration(completion.latencyMs))
          : null,
      ].filter((node) => node !== null),
    );
  };
  return {
    element,
    add(entry) {
      if (entry.type === "call.decided") {
        if (decidedFirst === undefined) decidedFirst = entry;
        else finalDecision = entry;
      }
      if (entry.type === "call.completed") completion = entry;
      rows.append(h("li", {}, eventRow(entry)));
      render();
    },
  };
}

function eventRow(entry) {
  return h(
    "div",
    {
      class: `event event-${entry.type.replace(".", "-")}`,
      testid: "timeline-event",
      dataset: { type: entry.type },
    },
    h(
      "a",
      {
        class: "when",
        href: route("events", entry.eventId),
        testid: "event-link",
        title: `event ${entry.eventId}`,
      },
      clock(entry.time),
    ),
    h("span", { class: "type" }, entry.type),
    eventBody(entry),
  );
}

function eventBody(entry) {
  switch (entry.type) {
    case "call.decided":
      return h(
        "div",
        { class: "body" },
        h(
          "p",
          {},
          badge(entry.decision, "decision"),
          entry.approval === "granted" ? h("span", { class: "pill" }, "after approval") : null,
          " ",
          h("span", { class: "rule", testid: "decision-rule" }, entry.rule),
          " ",
          h("span", { class: "reason", testid: "decision-reason" }, entry.reason),
        ),
        entry.counters?.length
          ? h(
              "ul",
              { class: "counters", testid: "decision-counters" },
              entry.counters.map((use) => h("li", {}, counter(use))),
            )
          : null,
        entry.shadow
          ? h(
              "p",
              { class: "muted" },
              `shadow: ${outcome(entry.shadow.outcome)} by ${entry.shadow.rule} (${entry.shadow.reason})`,
            )
          : null,
        h(
          "details",
          {},
          h(
            "summary",
            {},
            `arguments${entry.redacted?.length ? ` (redacted: ${entry.redacted.join(", ")})` : ""}`,
          ),
          json(entry.arguments, "call-arguments"),
        ),
      );
    case "call.completed":
      return h(
        "p",
        { class: "body" },
        h("span", { class: `status status-${entry.status}` }, entry.status),
        entry.status === "denied"
          ? " (never sent upstream)"
          : ` in ${duration(entry.latencyMs)}, ${count(entry.resultBytes)} bytes`,
        entry.error ? ` · ${entry.error.message}` : "",
      );
    case "approval.requested":
      return h(
        "p",
        { class: "body" },
        "held for a person by ",
        h("span", { class: "rule" }, entry.rule),
        ` until ${time(entry.expiresAt)} · approval ${shortId(entry.approvalId)}`,
      );
    case "approval.resolved":
      return h(
        "p",
        { class: "body", testid: "approval-resolution" },
        h("strong", {}, entry.resolution.replace("_", " ")),
        entry.by ? [" by ", h("span", { class: "person" }, entry.by)] : "",
        entry.note ? ` — “${entry.note}”` : "",
      );
    default:
      return h("span", { class: "body muted" }, "");
  }
}

function plural(n, noun) {
  return `${count(n)} ${noun}${n === 1 ? "" : "s"}`;
}

export function badge(value, testid) {
  return h("span", { class: `badge outcome-${value}`, testid, dataset: { outcome: value } }, outcome(value));
}
