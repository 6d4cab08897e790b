/**
 * The marketplace side of a sandboxed shell frame (docs/shell-runtime.md, "Isolation").
 *
 * Plugin code runs in an <iframe sandbox> whose origin is opaque: it has no cookie, no
 * storage and no way into this page. This page keeps the address bar in step with the
 * frame's routes, and answers the questions the frame cannot answer alone, with the session:
 * the person's installed plugins' manifests (their config is left out: whatever the frame
 * receives, every plugin in it could read), and a fresh short-lived token for one plugin, in
 * exchange for that plugin's previous one (the server checks it names that plugin and this
 * session, so one plugin cannot obtain another's).
 *
 * @module naap/shell-host
 */

/**
 * Connect a shell frame to this page.
 *
 * @param {HTMLIFrameElement} frame the sandboxed frame
 * @param {object} options
 * @param {string} options.hostBasePath this page's shell prefix, e.g. "/shell"
 * @param {string} [options.bootstrapUrl] the installed-plugins endpoint
 * @param {string} [options.tokenUrl] the token endpoint, "__name__" standing for the plugin
 * @param {string} [options.csrfToken] this page's CSRF token, sent with token renewals
 */
export function connectShellFrame(
  frame,
  { hostBasePath, bootstrapUrl = "/api/v1/plugins/installed", tokenUrl, csrfToken },
) {
  // Answers go back on the port the frame's runtime sent with its question, so that plugin
  // code listening to the frame's window messages never sees them (tokens travel this way).
  const reply = (message, body, port) => {
    if (port) port.postMessage({ id: message.id, ...body });
    else frame.contentWindow.postMessage({ id: message.id, ...body }, "*");
  };
  const failure = (text, status) => Object.assign(new Error(text), { status });
  const answers = {
    async "naap:token"(message) {
      const { plugin, grant } = message;
      if (!tokenUrl || typeof plugin !== "string" || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(plugin)) {
        throw failure("A plugin name is required to renew its token.", 400);
      }
      if (typeof grant !== "string" || grant.length > 2000) throw failure("The plugin's token is missing.", 400);
      const response = await fetch(tokenUrl.replace("__name__", plugin), {
        method: "POST",
        headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken || "" },
        body: JSON.stringify({ grant }),
        credentials: "same-origin",
        cache: "no-store",
      });
      const body = await response.json().catch(() => null);
      if (!response.ok) {
        const text = body && body.error ? body.error.message : `HTTP ${response.status}`;
        throw failure(`${plugin}'s token could not be renewed: ${text}`, response.status);
      }
      return { token: body.data.token, expiresIn: body.data.expiresIn };
    },
    async "naap:plugins"() {
      const response = await fetch(bootstrapUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!response.ok) throw new Error(`Your plugins could not be loaded (HTTP ${response.status}).`);
      const { plugins, reportTicket } = (await response.json()).data;
      return {
        reportTicket,
        plugins: plugins.map(({ name, displayName, enabled, manifest }) => ({
          name,
          displayName,
          enabled,
          manifest,
        })),
      };
    },
  };
  window.addEventListener("message", async (event) => {
    // Only the frame's own window speaks to this page; everything it sends is untrusted.
    if (event.source !== frame.contentWindow || !event.data || typeof event.data !== "object") return;
    const message = event.data;
    if (message.type === "naap:navigated") {
      const path = typeof message.path === "string" ? message.path : "";
      if (/^\/(?!\/)[^\s\\]*$/.test(path) && path.length <= 2000) {
        // Only addresses inside the shell: "/../admin/" would resolve outside it.
        const target = new URL(hostBasePath + path, window.location.href);
        const inside = target.pathname === hostBasePath || target.pathname.startsWith(`${hostBasePath}/`);
        if (target.origin === window.location.origin && inside) {
          window.history.replaceState(null, "", target.pathname + target.search + target.hash);
        }
      }
      return;
    }
    const answer = Object.hasOwn(answers, message.type) ? answers[message.type] : null;
    if (!answer || typeof message.id !== "string") return;
    const port = event.ports && event.ports[0];
    try {
      reply(message, { answer: await answer(message) }, port);
    } catch (error) {
      const failed = { error: String((error && error.message) || error), status: error && error.status };
      reply(message, failed, port);
    }
  });
}
