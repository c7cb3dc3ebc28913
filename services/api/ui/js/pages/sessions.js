/** Sessions, most recently active first, with what their calls came to; a row opens the timeline. */
import { get } from "../api.js";
import { h, route, routeWithQuery } from "../dom.js";
import { count, shortId, time } from "../format.js";

const PAGE = 50;

export async function renderSessions(context) {
  const filter = { agent: context.query.get("agent") ?? "", grant: context.query.get("grant") ?? "" };
  const body = h("tbody", {});
  const table = h(
    "table",
    { class: "list", testid: "sessions-table" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        [
          "session",
          "agent",
          "grant",
          "first event",
          "last event",
          "calls",
          "denied",
          "rate-limited",
          "held",
        ].map((label) => h("th", { scope: "col" }, label)),
      ),
    ),
    body,
  );
  const more = h("button", { type: "button", testid: "sessions-more", hidden: true }, "More sessions");
  let cursor;
  const load = async () => {
    const page = await get("sessions", { ...filter, limit: PAGE, cursor });
    for (const session of page.sessions ?? []) body.append(sessionRow(session));
    cursor = page.nextCursor;
    more.hidden = cursor === undefined;
  };
  more.addEventListener("click", async () => {
    more.disabled = true;
    await load();
    more.disabled = false;
  });
  await load();
  context.show(
    h("h1", {}, "Sessions"),
    filterForm(filter),
    body.children.length === 0
      ? h("p", { class: "muted", testid: "sessions-empty" }, "No sessions recorded yet.")
      : table,
    more,
  );
}

function sessionRow(session) {
  const link = route("sessions", session.session);
  const row = h(
    "tr",
    {
      testid: "session-row",
      class: session.rateLimited > 0 ? "flag-limited" : session.denials > 0 ? "flag-denied" : null,
      dataset: {
        session: session.session,
        agent: session.agent,
        rateLimited: session.rateLimited,
        denials: session.denials,
      },
    },
    h(
      "td",
      {},
      h("a", { href: link, testid: "session-link", title: session.session }, shortId(session.session)),
    ),
    h("td", {}, session.agent),
    h("td", {}, session.grant),
    h("td", {}, time(session.firstAt)),
    h("td", {}, time(session.lastAt)),
    h("td", { class: "num" }, count(session.calls)),
    h("td", { class: "num" }, count(session.denials)),
    h("td", { class: "num", testid: "session-rate-limited-count" }, count(session.rateLimited)),
    h("td", { class: "num" }, count(session.approvalsRequested)),
  );
  return row;
}

function filterForm(filter) {
  const agent = h("input", {
    name: "agent",
    value: filter.agent,
    placeholder: "agent",
    "aria-label": "agent",
  });
  const grant = h("input", {
    name: "grant",
    value: filter.grant,
    placeholder: "grant",
    "aria-label": "grant",
  });
  const form = h(
    "form",
    { class: "filters", testid: "sessions-filter" },
    agent,
    grant,
    h("button", { type: "submit" }, "Filter"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = routeWithQuery("sessions", { agent: agent.value.trim(), grant: grant.value.trim() });
  });
  return form;
}
