/**
 * Field reports: the load and mount outcome of each plugin version the shell booted with,
 * batched and sent to the registry with `navigator.sendBeacon` (docs/shell-runtime.md,
 * "Field reports").
 *
 * shell.js makes the page's one reporter when it loads, before any plugin runs, with the
 * `sendBeacon` it captured; only the runtime holds it. A plugin that imports this module gets
 * a reporter of its own, which can do no more than posting to the endpoint itself: the
 * registry counts only versions named in the page's report ticket.
 *
 * @module naap/shell-reports
 */

// A batch goes out when it holds this many events, or this long after its first one.
const BATCH_SIZE = 20;
const BATCH_DELAY_MS = 5000;
// The registry's limit per batch (registry/field_reports.py).
const MAX_BATCH = 50;
// The failure phases the registry knows, by the kinds of PluginLoadError.
const PHASE_OF_KIND = {
  network: "network",
  timeout: "network",
  http: "network",
  blocked: "network",
  manifest: "network",
  react: "network",
  integrity: "integrity",
  evaluation: "evaluation",
  global: "evaluation",
  "mount-missing": "evaluation",
  init: "mount",
  mount: "mount",
  runtime: "runtime",
};

/**
 * The failure phase of an error (a PluginLoadError's `kind`); "mount" for anything else.
 *
 * @param {unknown} error
 * @returns {string} network, integrity, evaluation, mount or runtime
 */
export function phaseOf(error) {
  const kind = error && typeof error === "object" ? error.kind : undefined;
  return PHASE_OF_KIND[kind] || "mount";
}

/**
 * A reporter: `report(plugin, outcome, phase, ms)` queues an outcome of a version of the
 * ticket (others are left out), `flush()` sends the queue, `setTicket(ticket, plugins)` starts
 * reporting for a bootstrap's versions (sending what was queued under the previous ticket).
 *
 * @param {{sendBeacon: ?function(string, Blob): boolean, url: function(): string,
 *   setTimer: function, clearTimer: function}} tools captured by the runtime
 * @returns {{report: function, flush: function(): boolean, setTicket: function}}
 */
export function createReporter({ sendBeacon, url, setTimer, clearTimer }) {
  let ticket = null;
  let served = new Set();
  let queue = [];
  let timer = null;

  const flush = () => {
    if (timer !== null) {
      clearTimer(timer);
      timer = null;
    }
    if (!queue.length || !ticket || !sendBeacon) return false;
    let sent = true;
    while (queue.length) {
      const events = queue.splice(0, MAX_BATCH);
      const body = new Blob([JSON.stringify({ ticket, events })], { type: "text/plain" });
      // Best effort: a beacon the browser refuses (too much queued) is dropped.
      if (!sendBeacon(url(), body)) sent = false;
    }
    return sent;
  };

  const report = (plugin, outcome, phase, ms) => {
    if (!served.has(plugin)) return;
    const event = { plugin, outcome };
    if (outcome === "failed") event.phase = phase;
    if (typeof ms === "number" && ms >= 0) event.ms = Math.round(ms);
    queue.push(event);
    if (queue.length >= BATCH_SIZE) flush();
    else if (timer === null) timer = setTimer(flush, BATCH_DELAY_MS);
  };

  const setTicket = (next, plugins) => {
    flush();
    ticket = typeof next === "string" && next ? next : null;
    served = new Set(
      (plugins || []).filter((plugin) => plugin && plugin.manifest).map(
        ({ manifest }) => `${manifest.name}@${manifest.version}`,
      ),
    );
  };

  return Object.freeze({ report, flush, setTicket });
}
