/**
 * The UI's files as the API serves them, without a browser: the page at `/` with a content security
 * policy, assets under `/ui/`, revalidation by ETag, nothing outside the UI's own files, and every
 * module the page imports present (a missing one would only show as a blank page).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { UI_DIRECTORY, uiRoutes } from "../../services/api/src/ui.js";

let app: FastifyInstance;

beforeAll(async () => {
  app = Fastify();
  await app.register(uiRoutes);
  await app.ready();
});

afterAll(() => app.close());

describe("the UI's files", () => {
  test("the page is at / with a policy that allows only its own origin", async () => {
    const page = await app.inject({ url: "/" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    const policy = String(page.headers["content-security-policy"]);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("connect-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.body).toContain('<script type="module" src="/ui/js/main.js"></script>');
  });

  test("assets are served with their types, and revalidate by ETag", async () => {
    const script = await app.inject({ url: "/ui/js/main.js" });
    expect(script.statusCode).toBe(200);
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    const again = await app.inject({
      url: "/ui/js/main.js",
      headers: { "if-none-match": script.headers.etag },
    });
    expect(again.statusCode).toBe(304);
    expect((await app.inject({ url: "/ui/app.css" })).headers["content-type"]).toBe(
      "text/css; charset=utf-8",
    );
  });

  test("nothing but the UI's own files can be asked for", async () => {
    for (const url of ["/ui/../package.json", "/ui/%2e%2e/src/ui.ts", "/ui/js/nope.js", "/ui/"])
      expect((await app.inject({ url })).statusCode, url).toBe(404);
  });

  test("every module the page imports exists and is served", async () => {
    const seen = new Set<string>();
    const visit = async (path: string): Promise<void> => {
      if (seen.has(path)) return;
      seen.add(path);
      const response = await app.inject({ url: `/ui/${path}` });
      expect(response.statusCode, path).toBe(200);
      for (const [, target] of response.body.matchAll(/^(?:import|export)[^;]*?from "(\.[^"]+)";/gms))
        await visit(join(path, "..", target!));
    };
    await visit("js/main.js");
    expect(seen.size).toBeGreaterThan(8);
    // The UI never turns data into markup: no innerHTML anywhere in its code.
    for (const path of seen)
      expect(await readFile(join(UI_DIRECTORY, path), "utf8"), path).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML/,
      );
  });
});
