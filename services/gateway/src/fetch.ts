/**
 * A fetch for upstream HTTP links that gives every request its own AbortSignal.
 *
 * The SDK's Streamable HTTP client passes one long-lived signal to every fetch of a connection, and
 * undici registers an abort listener on it per request that it removes only on abort or garbage
 * collection: a gateway relaying thousands of calls would pile up listeners on that one signal.
 * Here the shared signal is bridged to a per-request one by a single listener that is removed as
 * soon as the response body is finished (or there is none), so nothing accumulates.
 */
type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

export function fetchWithOwnSignal(base: Fetch = fetch): Fetch {
  return async (url, init) => {
    const shared = init?.signal;
    if (shared === undefined || shared === null) return base(url, init);
    const own = new AbortController();
    const forward = () => own.abort(shared.reason);
    if (shared.aborted) forward();
    else shared.addEventListener("abort", forward, { once: true });
    const release = () => shared.removeEventListener("abort", forward);
    let response: Response;
    try {
      response = await base(url, { ...init, signal: own.signal });
    } catch (error) {
      release();
      throw error;
    }
    if (response.body === null) {
      release();
      return response;
    }
    // Release when the body has been read to the end; an abort (the connection closing) releases the
    // `once` listener by itself.
    const body = response.body.pipeThrough(new TransformStream({ flush: release }));
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
