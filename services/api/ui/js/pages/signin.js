/** Sign in with a bearer token (read or admin); it is kept in this tab's sessionStorage only. */
import { checkToken, setToken } from "../api.js";
import { h } from "../dom.js";

export function renderSignIn(context, { signedIn }) {
  const input = h("input", {
    type: "password",
    name: "token",
    autocomplete: "off",
    required: true,
    placeholder: "bearer token",
    testid: "signin-token",
    "aria-label": "API token",
  });
  const problem = h("p", { class: "error-text", role: "alert", testid: "signin-error" });
  const form = h(
    "form",
    { class: "signin", testid: "signin-form" },
    h("h1", {}, "Sign in"),
    h(
      "p",
      { class: "muted" },
      "Paste an API token: a read token shows the record, an admin token can also answer approvals.",
    ),
    input,
    h("button", { type: "submit", testid: "signin-submit" }, "Sign in"),
    problem,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.textContent = "";
    const value = input.value.trim();
    try {
      const refusal = await checkToken(value);
      if (refusal !== undefined) {
        problem.textContent = refusal;
        return;
      }
    } catch (error) {
      problem.textContent = `The API does not answer: ${error.message}`;
      return;
    }
    setToken(value);
    await signedIn();
  });
  context.show(form);
  input.focus();
}
