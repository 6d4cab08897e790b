/**
 * The marketplace side of a sandboxed shell frame (docs/shell-runtime.md, "Isolation").
 *
 * Plugin code runs in an <iframe sandbox> whose origin is opaque: it has no cookie, no
 * storage and no way into this page. This page keeps the address bar in step with the
 * frame's routes, and answers the one question the frame cannot answer alone: the person's
 * installed plugins' manifests, fetched here with the session (their config is left out:
 * whatever the frame receives, every plugin in it could read).
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
 */
export function connectShellFrame(frame, { hostBasePath, bootstrapUrl = "/api/v1/plugins/installed" }) {
  const reply = (message, body) => frame.contentWindow.postMessage({ id: message.id, ...body }, "*");
  const answers = {
    async "naap:plugins"() {
      const response = await fetch(bootstrapUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!response.ok) throw new Error(`Your plugins could not be loaded (HTTP ${response.status}).`);
      const { plugins } = (await response.json()).data;
      return {
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
        window.history.replaceState(null, "", hostBasePath + path);
      }
      return;
    }
    const answer = Object.hasOwn(answers, message.type) ? answers[message.type] : null;
    if (!answer || typeof message.id !== "string") return;
    try {
      reply(message, { answer: await answer() });
    } catch (error) {
      reply(message, { error: String((error && error.message) || error) });
    }
  });
}
