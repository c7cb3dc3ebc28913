/** One event as stored, and its place in its gateway's hash chain (neighbours, whether links verify). */
import { get, segment } from "../api.js";
import { h, json, route } from "../dom.js";
import { time } from "../format.js";

export async function renderEvent(context) {
  const [id] = context.params;
  const body = await get(`events/${segment(id)}`);
  const { event, chain = {} } = body;
  const verified = chain.hashVerifies && chain.linkVerifies;
  const call = event.type === "call.decided" ? event.payload.call : undefined;
  const callId = call?.id ?? event.payload?.callId;
  context.show(
    h("h1", {}, "Event ", h("code", { testid: "event-id" }, event.id)),
    h(
      "dl",
      { class: "facts", testid: "event-facts" },
      fact("type", h("span", { testid: "event-type" }, event.type)),
      fact("time", time(event.time)),
      event.session
        ? fact(
            "session",
            h("a", { href: route("sessions", event.session.id), testid: "event-session" }, event.session.id),
          )
        : null,
      event.session
        ? fact("agent", `${event.session.agent} (grant ${event.session.grant}, ${event.session.transport})`)
        : null,
      call ? fact("tool", `${call.tool} on ${call.server}`) : null,
      callId ? fact("call", callId) : null,
    ),
    h(
      "section",
      { class: "chain", testid: "event-chain" },
      h("h2", {}, "Hash chain"),
      h(
        "p",
        { class: verified ? "ok" : "error-text", testid: "chain-verdict" },
        verified ? "intact: its hash matches its content and links to the event before it" : "broken",
      ),
      (chain.problems ?? []).length
        ? h(
            "ul",
            { class: "problems" },
            chain.problems.map((p) => h("li", {}, p)),
          )
        : null,
      h(
        "dl",
        { class: "facts" },
        fact("gateway instance", chain.instance),
        fact("position", h("span", { testid: "chain-seq" }, `seq ${chain.seq}`)),
        fact("hash", h("code", {}, chain.hash)),
        fact("prev", h("code", {}, chain.prev ?? "— (first event of the chain)")),
      ),
      h(
        "p",
        { class: "neighbours" },
        chain.previousEventId
          ? h(
              "a",
              { href: route("events", chain.previousEventId), testid: "chain-previous" },
              `← seq ${chain.seq - 1}`,
            )
          : null,
        " ",
        chain.nextEventId
          ? h(
              "a",
              { href: route("events", chain.nextEventId), testid: "chain-next" },
              `seq ${chain.seq + 1} →`,
            )
          : null,
      ),
    ),
    h("h2", {}, "Event"),
    json(event, "event-json"),
  );
}

function fact(term, ...definition) {
  return [h("dt", {}, term), h("dd", {}, ...definition)];
}
