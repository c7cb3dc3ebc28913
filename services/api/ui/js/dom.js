/**
 * Building the page from data without ever parsing data as HTML: agents choose tool names and
 * arguments, so every value from the API becomes a text node or an attribute value, never markup.
 */

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * h("a", { href: "#/x", class: "link", testid: "row", on: { click } }, "text", child, [more])
 * Children may be strings, numbers, nodes, arrays of those, or null/undefined/false (skipped).
 */
export function h(tag, attributes = {}, ...children) {
  return build(document.createElement(tag), attributes, children);
}

/** The same for SVG elements (charts). */
export function s(tag, attributes = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attributes, children);
}

function build(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "on") {
      for (const [event, handler] of Object.entries(value)) element.addEventListener(event, handler);
    } else if (name === "testid") {
      element.setAttribute("data-testid", String(value));
    } else if (name === "dataset") {
      for (const [key, item] of Object.entries(value))
        if (item !== undefined) element.dataset[key] = String(item);
    } else if (name === "href" && !isSafeHref(String(value))) {
      element.setAttribute("href", "#/");
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Only in-app links: a value from the API must never become a javascript: URL. */
function isSafeHref(href) {
  return href.startsWith("#") || href.startsWith("/");
}

/** A hash link to an app route, each segment escaped. */
export function route(...segments) {
  return `#/${segments.map((segment) => encodeURIComponent(String(segment))).join("/")}`;
}

/** A hash link with a query, e.g. routeWithQuery("search", { tool: "x" }). */
export function routeWithQuery(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== "") params.set(key, value);
  const text = params.toString();
  return `#/${path}${text ? `?${text}` : ""}`;
}

export function loading(what = "Loading") {
  return h("p", { class: "muted", testid: "loading" }, `${what}…`);
}

export function errorBox(error) {
  const message = error instanceof Error ? error.message : String(error);
  return h("div", { class: "error", role: "alert", testid: "error" }, message);
}

/** Pretty JSON as text (in a <pre>): redacted arguments, events. */
export function json(value, testid) {
  return h("pre", { class: "json", testid }, JSON.stringify(value, null, 2));
}
