/**
 * Replay reports: what a candidate policy would have decided on recorded traffic. The report itself
 * is the HTML `tollgate replay` renders, shown in a sandboxed frame (no scripts, no same origin).
 */
import { get, getText, segment } from "../api.js";
import { h, json, route } from "../dom.js";
import { count, time } from "../format.js";

export async function renderReplays(context) {
  const body = await get("replays");
  const reports = body.reports ?? body.replays ?? [];
  context.show(
    h("h1", {}, "Replays"),
    h(
      "p",
      { class: "muted" },
      "Run one with `tollgate replay --policy candidate.json --save`, or through the API.",
    ),
    reports.length === 0
      ? h("p", { class: "muted", testid: "replays-empty" }, "No replay reports yet.")
      : h(
          "table",
          { class: "list", testid: "replays-table" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["created", "candidate", "window", "verdict", "calls", "changed"].map((label) =>
                h("th", { scope: "col" }, label),
              ),
            ),
          ),
          h(
            "tbody",
            {},
            reports.map((report) =>
              h(
                "tr",
                { testid: "replay-row", dataset: { id: report.id, verdict: report.verdict } },
                h(
                  "td",
                  {},
                  h(
                    "a",
                    { href: route("replays", report.id), testid: "replay-link" },
                    time(report.createdAt),
                  ),
                ),
                h(
                  "td",
                  {},
                  report.candidateName,
                  h("span", { class: "muted" }, ` ${String(report.candidateDigest ?? "").slice(7, 19)}`),
                ),
                h("td", {}, `${time(report.from)} – ${time(report.to)}`),
                h("td", {}, h("span", { class: `verdict verdict-${report.verdict}` }, report.verdict)),
                h("td", { class: "num" }, count(report.calls)),
                h("td", { class: "num" }, count(report.changed)),
              ),
            ),
          ),
        ),
  );
}

export async function renderReplay(context) {
  const [id] = context.params;
  const [report, html] = await Promise.all([
    get(`replays/${segment(id)}`),
    getText(`replays/${segment(id)}/html`),
  ]);
  const summary = report.summary ?? report;
  // srcdoc is set as a property (never parsed into this page); the empty sandbox runs no script and
  // gives the report an opaque origin, so it cannot read the token or call the API.
  const frame = h("iframe", { class: "report", title: "replay report", sandbox: "", testid: "replay-frame" });
  frame.srcdoc = html;
  context.show(
    h("h1", {}, "Replay ", h("code", {}, id)),
    h(
      "p",
      { testid: "replay-summary" },
      h("span", { class: `verdict verdict-${summary.verdict}` }, summary.verdict ?? "?"),
      ` · candidate ${summary.candidateName ?? "?"} · ${count(summary.calls)} calls, ${count(summary.changed)} changed · ${time(summary.from)} – ${time(summary.to)}`,
    ),
    frame,
    h("details", {}, h("summary", {}, "report as JSON"), json(report)),
  );
}
