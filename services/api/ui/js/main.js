/**
 * The app shell: hash routes, the sign-in, and one page at a time in <main>. A page renders into a
 * detached tree and swaps it in only if the user has not moved on meanwhile.
 */
import { clearToken, setToken, token } from "./api.js";
import { errorBox, h, loading } from "./dom.js";
import { renderApprovals } from "./pages/approvals.js";
import { renderEvent } from "./pages/event.js";
import { renderOverview } from "./pages/overview.js";
import { renderReplay, renderReplays } from "./pages/replays.js";
import { renderSearch } from "./pages/search.js";
import { renderSessions } from "./pages/sessions.js";
import { renderSignIn } from "./pages/signin.js";
import { renderTimeline } from "./pages/timeline.js";

const ROUTES = [
  { pattern: /^\/$/, nav: "overview", render: renderOverview },
  { pattern: /^\/sessions$/, nav: "sessions", render: renderSessions },
  { pattern: /^\/sessions\/([^/]+)$/, nav: "sessions", render: renderTimeline },
  { pattern: /^\/events\/([^/]+)$/, nav: "search", render: renderEvent },
  { pattern: /^\/search$/, nav: "search", render: renderSearch },
  { pattern: /^\/approvals$/, nav: "approvals", render: renderApprovals },
  { pattern: /^\/replays$/, nav: "replays", render: renderReplays },
  { pattern: /^\/replays\/([^/]+)$/, nav: "replays", render: renderReplay },
];

const view = document.getElementById("view");
let generation = 0;
const leaving = [];

/**
 * `#token=…` (and optionally `&next=/route`) signs in once, as the link `tollgate up` prints; the
 * token is then taken out of the address bar and history at once.
 */
function takeTokenFromFragment() {
  const match = /^#token=([^&]*)(?:&next=(.*))?$/.exec(location.hash);
  if (match === null) return;
  const value = decoded(match[1]);
  if (value !== "") setToken(value);
  const next = match[2] === undefined ? "/" : decoded(match[2]);
  history.replaceState(
    null,
    "",
    `${location.pathname}${location.search}#${next.startsWith("/") ? next : "/"}`,
  );
}

/** A URI component decoded, or as it is when it is not valid percent-encoding. */
function decoded(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function currentRoute() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = hash.split("?", 2);
  return { path: path.startsWith("/") ? path : `/${path}`, query: new URLSearchParams(search) };
}

async function show() {
  takeTokenFromFragment();
  const current = ++generation;
  for (const leave of leaving.splice(0)) leave();
  const { path, query } = currentRoute();
  const context = {
    query,
    params: [],
    isCurrent: () => current === generation,
    /** Replaces the page, unless the user has navigated away meanwhile. */
    show(...nodes) {
      if (current === generation)
        view.replaceChildren(...nodes.filter((node) => node !== null && node !== undefined));
    },
    /** Runs `leave` when the user moves on (at once, if they already have). */
    onLeave(leave) {
      if (current === generation) leaving.push(leave);
      else leave();
    },
    refresh: show,
  };
  updateHeader();
  if (token() === "") {
    markNav(undefined);
    renderSignIn(context, { signedIn: show });
    return;
  }
  const found = ROUTES.map((r) => ({ route: r, match: r.pattern.exec(path) })).find((r) => r.match !== null);
  if (found === undefined) {
    markNav(undefined);
    context.show(h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/" }, "Back to the overview")));
    return;
  }
  markNav(found.route.nav);
  context.params = found.match.slice(1).map(decoded);
  view.replaceChildren(loading());
  try {
    await found.route.render(context);
  } catch (error) {
    context.show(errorBox(error));
  }
}

function markNav(active) {
  for (const link of document.querySelectorAll("nav a[data-nav]")) {
    if (link.dataset.nav === active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function updateHeader() {
  const signedIn = token() !== "";
  document.body.classList.toggle("signed-in", signedIn);
}

document.querySelector("[data-testid=sign-out]").addEventListener("click", () => {
  clearToken();
  show();
});

window.addEventListener("tollgate:signed-out", () => {
  updateHeader();
  show();
});
window.addEventListener("hashchange", show);
show();
