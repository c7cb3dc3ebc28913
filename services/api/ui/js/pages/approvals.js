/**
 * Calls held by `approve` rules, waiting for a person. Approving or denying needs an admin token;
 * the list refreshes itself while open, so a call held a moment ago shows up without a reload.
 */
import { ApiError, get, post, segment } from "../api.js";
import { errorBox, h, json, route } from "../dom.js";
import { duration, time } from "../format.js";

const REFRESH_MS = 2_000;

export async function renderApprovals(context) {
  const list = h("div", { class: "approvals", testid: "approvals-list" });
  const status = h("p", { class: "muted", role: "status", testid: "approvals-status" });
  context.show(
    h("h1", {}, "Approvals"),
    h("p", { class: "muted" }, "Calls an approve rule holds until a person answers, or until they time out."),
    status,
    list,
  );
  const shown = new Map();
  let stopped = false;
  context.onLeave(() => {
    stopped = true;
  });

  const refresh = async () => {
    let body;
    try {
      body = await get("approvals");
    } catch (error) {
      list.replaceChildren(errorBox(forbiddenHint(error)));
      return;
    }
    if (stopped) return;
    const pending = body.approvals ?? [];
    const ids = new Set(pending.map((approval) => approval.id));
    for (const [id, card] of shown) {
      // A card someone is answering stays until the answer is shown on it.
      if (!ids.has(id) && card.dataset.state !== "answered") {
        card.remove();
        shown.delete(id);
      }
    }
    for (const approval of pending) {
      if (shown.has(approval.id)) continue;
      const card = approvalCard(approval);
      shown.set(approval.id, card);
      list.append(card);
    }
    const waiting = [...shown.values()].filter((card) => card.dataset.state !== "answered").length;
    status.textContent = waiting === 0 ? "No call is waiting for approval." : `${waiting} waiting.`;
  };
  await refresh();
  const timer = setInterval(() => {
    if (!stopped) void refresh();
  }, REFRESH_MS);
  context.onLeave(() => clearInterval(timer));
}

function approvalCard(approval) {
  const identity = approval.identity ?? {};
  const note = h("input", {
    type: "text",
    name: "note",
    maxlength: 2000,
    placeholder: "note (optional, recorded with the answer)",
    testid: "approval-note",
    "aria-label": "note",
  });
  const outcome = h("p", { class: "answer", role: "status", testid: "approval-outcome" });
  const buttons = ["approve", "deny"].map((verdict) =>
    h(
      "button",
      { type: "button", class: verdict, testid: verdict },
      verdict === "approve" ? "Approve" : "Deny",
    ),
  );
  const card = h(
    "article",
    {
      class: "card approval",
      testid: "approval",
      dataset: { id: approval.id, tool: approval.tool, state: "waiting" },
    },
    h(
      "header",
      {},
      h("strong", { class: "tool", testid: "approval-tool" }, approval.tool),
      approval.server ? h("span", { class: "muted" }, ` on ${approval.server}`) : null,
      h("span", { class: "muted" }, ` · ${identity.agent ?? "?"} (grant ${identity.grant ?? "?"})`),
    ),
    h("p", {}, h("span", { class: "rule" }, approval.rule), " ", approval.reason),
    h(
      "p",
      { class: "muted" },
      `held ${time(approval.requestedAt)} · times out ${time(approval.expiresAt)} (in ${duration(approval.expiresAt - Date.now())})`,
      identity.session ? [" · ", h("a", { href: route("sessions", identity.session) }, "session")] : null,
    ),
    h(
      "details",
      { open: true },
      h("summary", {}, "arguments (as recorded, redacted)"),
      json(approval.arguments),
    ),
    h("div", { class: "actions" }, note, buttons),
    outcome,
  );
  for (const [index, verdict] of ["approve", "deny"].entries()) {
    buttons[index].addEventListener("click", async () => {
      for (const button of buttons) button.disabled = true;
      card.dataset.state = "answered";
      try {
        const answer = await post(`approvals/${segment(approval.id)}/${verdict}`, {
          ...(note.value.trim() === "" ? {} : { note: note.value.trim() }),
        });
        const by = answer.by ? ` by ${answer.by}` : "";
        outcome.textContent = `${answer.resolution ?? (verdict === "approve" ? "approved" : "denied")}${by}`;
        card.classList.add(verdict === "approve" ? "approved" : "denied");
      } catch (error) {
        card.dataset.state = "waiting";
        for (const button of buttons) button.disabled = false;
        outcome.textContent = forbiddenHint(error);
      }
    });
  }
  return card;
}

function forbiddenHint(error) {
  if (error instanceof ApiError && error.status === 403)
    return `${error.message} (answering approvals needs an admin token: sign out and sign in with one)`;
  return error instanceof Error ? error.message : String(error);
}
