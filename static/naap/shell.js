/**
 * The NaaP shell runtime: loads plugin bundles (UMD/IIFE scripts that assign a window global)
 * from the registry's CDN, verifies them with Subresource Integrity, mounts them into host
 * elements with a sandboxed, frozen context, and caches manifests in IndexedDB.
 *
 * ES modules (this one and the context's, shell-context.js and those it imports), no build
 * step, no globals of its own. On the window it touches the plugin globals it must read (and
 * puts back as they were), React/ReactDOM (provided from this site's static files to plugins
 * that use the shell's React), stand-ins for localStorage/sessionStorage where the origin is
 * opaque, and its listeners for errors plugins raise later and for the page being hidden (field
 * reports); on <html>, the theme.
 * The documented API is in docs/shell-runtime.md.
 *
 * @module naap/shell
 */

import { bindShell, createPluginContext, disposeContext, errorMessageOf } from "./shell-context.js";
import {
  EventRequestError,
  emitShellEvent,
  frozenCopy,
  messageOf,
  publish,
  setTheme,
  sleep,
} from "./shell-events.js";
import { PermissionDeniedError, ShellServiceError, element } from "./shell-services.js";
import { createReporter, phaseOf } from "./shell-reports.js";

// The plugin context lives in shell-context.js (with shell-events.js and shell-services.js).
export {
  EventRequestError,
  PermissionDeniedError,
  ShellServiceError,
  createPluginContext,
  emitShellEvent,
  setTheme,
};

const DEFAULT_TIMEOUT_MS = 10000;
const DEFAULT_RETRIES = 2;
const DEFAULT_BACKOFF_MS = 250;
const DEFAULT_MANIFEST_MAX_AGE = 300;
const DEFAULT_SHELL_VERSION = "0.0.0"; // not configured: the bootstrap is not filtered
const DIGESTS = { sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" };
// The shell globals the runtime provides, in the order it loads them (react-dom's UMD build
// reads window.React), each with the key of its file in the `react` option.
const SHELL_GLOBAL_FILES = [
  ["React", "react"],
  ["ReactDOM", "reactDom"],
];

/** Page-wide settings; configureShell() and bootShell() fill them in. */
const runtime = {
  shellVersion: DEFAULT_SHELL_VERSION,
  user: null,
  apiBase: "/api/v1",
  bootstrapUrl: "/api/v1/plugins/installed",
  globalsUrl: null,
  basePath: "",
  react: null,
  csrfCookieName: "csrftoken",
  timeoutMs: DEFAULT_TIMEOUT_MS,
  retries: DEFAULT_RETRIES,
  backoffMs: DEFAULT_BACKOFF_MS,
  onNavigate: null,
  bridge: false,
  tokenLifetime: 600,
};

// Captured before any plugin runs, so a plugin that replaces window.fetch never sees the
// requests (and grants) of the shell or of other plugins.
const shellFetch = window.fetch.bind(window);
const ShellMessageChannel = window.MessageChannel;
// The framing page, taken before any plugin runs: `window.parent` is replaceable, and a
// plugin that replaced it would receive the next token renewal's message.
const hostWindow = window.parent;
// Field reports go out with the browser's own sendBeacon, taken before any plugin runs, so
// no plugin sees (or rewrites) the outcomes the runtime reports (docs/shell-runtime.md,
// "Field reports").
const shellSendBeacon =
  typeof navigator.sendBeacon === "function" ? navigator.sendBeacon.bind(navigator) : null;
const reporter = createReporter({
  sendBeacon: shellSendBeacon,
  url: () => new URL(`${runtime.apiBase}/plugins/field-reports`, document.baseURI).href,
  setTimer: window.setTimeout.bind(window),
  clearTimer: window.clearTimeout.bind(window),
});
window.addEventListener("pagehide", () => reporter.flush());
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") reporter.flush();
});
// Head start of the routed plugin over the headless ones at boot (bootShell).
const ROUTED_HEAD_START_MS = 1000;

/**
 * In-page stand-ins for `localStorage` and `sessionStorage` where the document's origin is
 * opaque (the sandboxed frame of the demo shell and of previews), where the browser's own
 * throw a SecurityError on first touch. Plugins written for a normal page (NaaP's my-wallet
 * keeps its settings there) then run unchanged; what they store lasts as long as the frame
 * (docs/shell-runtime.md, "Isolation").
 */
class PageStorage {
  #values = new Map();
  get length() {
    return this.#values.size;
  }
  key(index) {
    return [...this.#values.keys()][index] ?? null;
  }
  getItem(key) {
    const value = this.#values.get(String(key));
    return value === undefined ? null : value;
  }
  setItem(key, value) {
    this.#values.set(String(key), String(value));
  }
  removeItem(key) {
    this.#values.delete(String(key));
  }
  clear() {
    this.#values.clear();
  }
}

function standInForBlockedStorage() {
  for (const name of ["localStorage", "sessionStorage"]) {
    try {
      void window[name];
    } catch {
      Object.defineProperty(window, name, { value: new PageStorage(), configurable: true });
    }
  }
}
standInForBlockedStorage();

const loadedPlugins = new Map(); // name@version -> the plugin's exports, captured once
const pluginLoads = new Map(); // name@version -> the promise of a load under way
const stylesheets = new Map(); // absolute URL -> {users, ready, link}
const preloaded = new Set(); // absolute URLs with a <link rel="preload">
const hosts = new WeakMap(); // host element -> its mount record
const shellGlobalsKnown = new Map(); // name@version -> ["React", "ReactDOM"] or []
const globalLoads = new Map(); // "React" | "ReactDOM" -> the promise of its file's load

/**
 * An error of the loader or the host, with what went wrong in `kind` (network, timeout, http,
 * integrity, blocked, evaluation, global, mount-missing, init, mount, runtime, manifest,
 * react) and whether trying again could help in `retryable`.
 */
export class PluginLoadError extends Error {
  /**
   * @param {string} message what happened, naming the plugin and the file
   * @param {{kind: string, retryable?: boolean, cause?: unknown}} details
   */
  constructor(message, { kind, retryable = false, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "PluginLoadError";
    this.kind = kind;
    this.retryable = retryable;
  }
}

// The handle on plugins' tokens and installations: shell.js binds first, before any plugin
// can import the context module (docs/shell-runtime.md, "Isolation").
const privileged = bindShell({ runtime, shellFetch, askHostPage, routesAllow, basePathOf, PluginLoadError });
if (!privileged) throw new Error("naap/shell-context.js was bound before the shell runtime.");
let booted = false; // bootShell ran: the page's settings are fixed from then on

// ---------------------------------------------------------------------------------------------
// Configuration

/**
 * Set page-wide options. Every key is optional; unknown keys are ignored.
 *
 * @param {object} options
 * @param {string} [options.shellVersion] the shell's version, given to plugins
 * @param {{id: ?number, username: string, displayName: string, roles?: string[],
 *   teams?: {id: number, name: string, displayName: string, role: string}[]}} [options.user]
 *   the signed-in person (plugins get frozen copies: `context.user`, `auth.getUser()`, `team`)
 * @param {string} [options.apiBase] the registry API root, default "/api/v1"
 * @param {string} [options.bootstrapUrl] the installed-plugins endpoint
 * @param {?string} [options.globalsUrl] answers which shell globals (React) a version uses
 * @param {string} [options.basePath] the URL prefix of shell routes, e.g. "/shell"
 * @param {?{react: {url: string, integrity: string}, reactDom: {url: string, integrity: string}}}
 *   [options.react] this site's React 18 UMD files, loaded only for plugins that need them
 * @param {number} [options.timeoutMs] per-file load timeout (default 10000)
 * @param {number} [options.retries] retries after a network failure (default 2)
 * @param {number} [options.backoffMs] first retry delay, doubled each time (default 250)
 * @param {?function(string): void} [options.onNavigate] the shell's router
 * @param {"light"|"dark"} [options.theme] the initial theme mode
 * @param {Object<string, string>} [options.grants] per plugin name, the short-lived token its
 *   API calls carry instead of the page's cookies (the sandboxed shell, docs/shell-runtime.md)
 * @param {number} [options.tokenLifetime] seconds those tokens live (renewed before they end)
 * @param {boolean} [options.bridge] the shell runs in a frame of the marketplace's shell page:
 *   tell that page where it navigated, and ask it for fresh manifests
 */
export function configureShell(options = {}) {
  if (booted) {
    // Plugin code can import the runtime: once the shell booted, nothing it set may change.
    console.warn("[naap] configureShell() is ignored once the shell has booted.");
    return;
  }
  for (const key of Object.keys(runtime)) {
    if (options[key] !== undefined) runtime[key] = options[key];
  }
  // Tokens live in shell-context.js's scope only, never in `runtime` or a context.
  if (options.grants) {
    privileged.setPluginTokens(options.grants, options.tokenLifetime ?? runtime.tokenLifetime);
  }
  if (options.theme) setTheme(options.theme);
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function keyOf(manifest) {
  return `${manifest.name}@${manifest.version}`;
}

function globalNameFor(name) {
  const parts = String(name).split("-").filter(Boolean);
  return "NaapPlugin" + parts.map((part) => part[0].toUpperCase() + part.slice(1)).join("");
}

function absoluteUrl(url) {
  return new URL(url, document.baseURI).href;
}

function maxAgeOf(response) {
  const match = /(?:^|,)\s*max-age=(\d+)/i.exec(response.headers.get("Cache-Control") || "");
  return match ? Number(match[1]) : 0;
}

/** Does a path match one manifest route ("/plugins/x", "/plugins/x/*", ":param" segments)? */
function routeMatches(route, path) {
  const trim = (value) => value.replace(/\/+$/, "") || "/";
  const pattern = trim(String(route));
  const target = trim(path);
  if (pattern.endsWith("/*")) {
    const base = pattern.slice(0, -2);
    return target === (base || "/") || target.startsWith(`${base}/`);
  }
  const wanted = pattern.split("/");
  const given = target.split("/");
  if (wanted.length !== given.length) return false;
  return wanted.every(
    (segment, index) =>
      segment === given[index] || (segment.startsWith(":") && given[index].length > 0),
  );
}

function routesAllow(routes, path) {
  return routes.some((route) => routeMatches(route, path));
}

function basePathOf(manifest) {
  const first = (manifest.routes || [])[0];
  if (typeof first === "string" && first) return first.replace(/\/\*$/, "") || "/";
  return `/plugins/${manifest.name}`;
}

function checkManifest(manifest) {
  if (!manifest || typeof manifest !== "object") {
    throw new PluginLoadError("A plugin manifest (an object) is required.", { kind: "manifest" });
  }
  for (const field of ["name", "version", "bundleUrl"]) {
    if (typeof manifest[field] !== "string" || !manifest[field]) {
      throw new PluginLoadError(`The manifest has no ${field}.`, { kind: "manifest" });
    }
  }
  const label = keyOf(manifest);
  // The loader reads and then resets this window property: it must be a plugin global.
  if (manifest.globalName !== undefined && !/^NaapPlugin[A-Za-z0-9]+$/.test(manifest.globalName)) {
    throw new PluginLoadError(`${label}: "${manifest.globalName}" is not a plugin global.`, {
      kind: "manifest",
    });
  }
  // Bundles run with the page's privileges: the shell runs only bytes it can verify.
  if (!manifest.integrity || !manifest.integrity.bundle) {
    throw new PluginLoadError(
      `${label}: the manifest has no integrity.bundle, so the bundle cannot be verified.`,
      { kind: "manifest" },
    );
  }
  if (manifest.stylesUrl && !manifest.integrity.styles) {
    throw new PluginLoadError(
      `${label}: the manifest has no integrity.styles for its stylesheet.`,
      { kind: "manifest" },
    );
  }
}

function timing(options) {
  return {
    timeoutMs: options.timeoutMs ?? runtime.timeoutMs,
    retries: options.retries ?? runtime.retries,
    backoffMs: options.backoffMs ?? runtime.backoffMs,
  };
}

/** Run task; on a retryable failure wait backoffMs, 2×, 4×… and try again, `retries` times. */
async function withRetries(task, { retries, backoffMs }) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await task(attempt);
    } catch (error) {
      if (!(error instanceof PluginLoadError) || !error.retryable || attempt >= retries) {
        throw error;
      }
      await sleep(backoffMs * 2 ** attempt);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// <script> and <link> with integrity, timeout and diagnosis

function base64(buffer) {
  let text = "";
  for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
  return btoa(text);
}

/**
 * Why did the browser refuse a file? Fetch it again: unreachable (retryable), an HTTP error
 * (5xx retryable), bytes that do not match the integrity, or something else (CSP).
 */
async function diagnose(url, integrity, label) {
  let response;
  try {
    response = await shellFetch(url, { mode: "cors", credentials: "omit", cache: "no-store" });
  } catch (error) {
    return new PluginLoadError(`${label}: could not download ${url} (network error).`, {
      kind: "network",
      retryable: true,
      cause: error,
    });
  }
  if (!response.ok) {
    const status = response.status;
    return new PluginLoadError(`${label}: ${url} answered HTTP ${status}.`, {
      kind: "http",
      retryable: status >= 500 || status === 408 || status === 429,
    });
  }
  const expected = String(integrity || "").trim().split(/\s+/).filter(Boolean);
  const algorithm = expected.length ? expected[0].split("-")[0] : "";
  if (DIGESTS[algorithm] && globalThis.crypto && crypto.subtle) {
    const digest = await crypto.subtle.digest(DIGESTS[algorithm], await response.arrayBuffer());
    const actual = `${algorithm}-${base64(digest)}`;
    if (!expected.includes(actual)) {
      return new PluginLoadError(
        `${label}: integrity check failed for ${url}: the manifest says ${expected[0]} but ` +
          `the file is ${actual}. The file was changed after it was published.`,
        { kind: "integrity" },
      );
    }
  }
  return new PluginLoadError(
    `${label}: the browser refused ${url} (integrity or Content-Security-Policy).`,
    { kind: "blocked" },
  );
}

/** Insert a <script> or <link rel="stylesheet"> and settle when it loaded or failed. */
function insertAsset(kind, url, integrity, { timeoutMs, label, dataset = {} }) {
  return new Promise((resolve, reject) => {
    const node = document.createElement(kind === "script" ? "script" : "link");
    if (kind === "script") {
      node.async = true;
      node.src = url;
    } else {
      node.rel = "stylesheet";
      node.href = url;
    }
    node.crossOrigin = "anonymous";
    if (integrity) node.integrity = integrity;
    Object.assign(node.dataset, dataset);
    const timer = setTimeout(() => {
      node.remove();
      reject(
        new PluginLoadError(`${label}: ${url} did not load within ${timeoutMs / 1000} s.`, {
          kind: "timeout",
          retryable: true,
        }),
      );
    }, timeoutMs);
    node.addEventListener(
      "load",
      () => {
        clearTimeout(timer);
        resolve(node);
      },
      { once: true },
    );
    node.addEventListener(
      "error",
      () => {
        clearTimeout(timer);
        node.remove();
        diagnose(url, integrity, label).then(reject, reject);
      },
      { once: true },
    );
    document.head.append(node);
  });
}

// ---------------------------------------------------------------------------------------------
// React for plugins built against the shell's globals

/** The shell globals to load for a bundle that reads `globals`, in load order: ReactDOM
 * brings React before it, since react-dom's UMD build reads window.React. */
function shellGlobalsToLoad(globals) {
  const wanted = new Set(globals);
  if (wanted.has("ReactDOM")) wanted.add("React");
  return SHELL_GLOBAL_FILES.filter(([name]) => wanted.has(name));
}

/**
 * Give React the automatic JSX runtime, as NaaP's shell does: bundles built by NaaP's vite
 * tooling map `react/jsx-runtime` (and `react/jsx-dev-runtime`) to the global `React` and call
 * `React.jsx(type, props, key)`, `React.jsxs` and `React.jsxDEV`. React 18's UMD build has no
 * JSX runtime, so it is written with `createElement`, which does what `jsx()` does when given
 * no children of its own: it keeps `props.children`, takes `key` and `ref` out of the props
 * and fills in `defaultProps`. The key is the third argument unless the props carry one (a
 * key in the props wins in React's `jsx()` too). An existing `jsx` is left alone.
 */
function addJsxRuntime(React) {
  if (!React || typeof React.createElement !== "function" || typeof React.jsx === "function") {
    return;
  }
  const jsx = (type, props, key) => {
    const config =
      key === undefined || (props != null && props.key !== undefined) ? props : { ...props, key };
    return React.createElement(type, config);
  };
  Object.assign(React, { jsx, jsxs: jsx, jsxDEV: jsx, Fragment: React.Fragment });
}

function provideGlobal(name, fileKey, options) {
  if (window[name]) {
    if (name === "React") addJsxRuntime(window.React);
    return Promise.resolve();
  }
  if (!runtime.react) {
    return Promise.reject(
      new PluginLoadError(
        `This plugin uses the shell's ${name}, which this page does not provide ` +
          "(React 18 is installed into static/vendor/react/ by `make vendor`).",
        { kind: "react" },
      ),
    );
  }
  if (!globalLoads.has(name)) {
    const settings = timing(options);
    const file = runtime.react[fileKey];
    const load = withRetries(
      () =>
        insertAsset("script", absoluteUrl(file.url), file.integrity, {
          timeoutMs: settings.timeoutMs,
          label: name,
          dataset: { naapVendor: name },
        }),
      settings,
    ).then(
      () => {
        if (name === "React") addJsxRuntime(window.React);
      },
      (error) => {
        globalLoads.delete(name);
        throw error;
      },
    );
    globalLoads.set(name, load);
  }
  return globalLoads.get(name);
}

/** Load the shell globals a bundle reads (React with its JSX runtime, ReactDOM), in order,
 * once per page. */
async function ensureShellGlobals(globals, options) {
  for (const [name, fileKey] of shellGlobalsToLoad(globals)) {
    await provideGlobal(name, fileKey, options);
  }
}

/**
 * Which shell globals (React, ReactDOM) a version's bundle uses: from the manifest's
 * `shellGlobals` when present, else as the server answered for it (remembered per version:
 * published files never change).
 */
async function shellGlobalsOf(manifest) {
  if (Array.isArray(manifest.shellGlobals)) return manifest.shellGlobals;
  const known = await resolveShellGlobals([manifest]);
  return known.get(keyOf(manifest)) || [];
}

async function resolveShellGlobals(manifests) {
  const wanted = [];
  for (const manifest of manifests) {
    const key = keyOf(manifest);
    if (Array.isArray(manifest.shellGlobals)) {
      shellGlobalsKnown.set(key, manifest.shellGlobals);
    } else if (!shellGlobalsKnown.has(key)) {
      const cached = await cacheGet("globals", key);
      if (Array.isArray(cached)) shellGlobalsKnown.set(key, cached);
      else wanted.push(key);
    }
  }
  if (wanted.length && runtime.globalsUrl) {
    const url = new URL(runtime.globalsUrl, document.baseURI);
    for (const key of wanted) url.searchParams.append("plugin", key);
    try {
      const response = await shellFetch(url, { credentials: "same-origin" });
      if (response.ok) {
        const body = await response.json();
        for (const [key, globals] of Object.entries(body.data || {})) {
          if (!Array.isArray(globals)) continue;
          shellGlobalsKnown.set(key, globals);
          await cachePut("globals", key, globals);
        }
      }
    } catch {
      // Offline or unreachable: a React plugin then reports the missing React itself.
    }
  }
  return shellGlobalsKnown;
}

// ---------------------------------------------------------------------------------------------
// The loader

/** Run one bundle and take its global, leaving window as it was before. */
async function runBundle(manifest, settings) {
  const label = keyOf(manifest);
  const url = absoluteUrl(manifest.bundleUrl);
  const globalName = manifest.globalName || globalNameFor(manifest.name);
  const hadGlobal = Object.prototype.hasOwnProperty.call(window, globalName);
  const previous = window[globalName];
  let thrown = null;
  const onError = (event) => {
    if (event.filename === url) {
      thrown = event.error || new Error(event.message);
      event.preventDefault();
    }
  };
  window.addEventListener("error", onError);
  evaluating.add(url);
  try {
    await insertAsset("script", url, manifest.integrity.bundle, {
      timeoutMs: settings.timeoutMs,
      label,
      dataset: { naapPlugin: label },
    });
  } finally {
    window.removeEventListener("error", onError);
    evaluating.delete(url);
  }
  // The load event follows the script's execution in the same task, so no other bundle ran
  // in between: what the global holds now is this version's. Put the window back so that
  // two versions of one plugin never see each other's exports.
  const exported = window[globalName];
  if (hadGlobal) window[globalName] = previous;
  else if (!Reflect.deleteProperty(window, globalName)) window[globalName] = undefined;

  if (thrown) {
    throw new PluginLoadError(`${label}: the bundle threw while running: ${messageOf(thrown)}`, {
      kind: "evaluation",
      cause: thrown,
    });
  }
  if (exported === undefined || exported === null || (hadGlobal && exported === previous)) {
    throw new PluginLoadError(
      `${label}: the bundle ran but did not define window.${globalName}.`,
      { kind: "global" },
    );
  }
  const plugin =
    typeof exported.mount === "function"
      ? exported
      : exported.default && typeof exported.default.mount === "function"
        ? exported.default
        : null;
  if (!plugin) {
    throw new PluginLoadError(`${label}: window.${globalName} has no mount function.`, {
      kind: "mount-missing",
    });
  }
  return plugin;
}

/**
 * Load a plugin's bundle and return its exports (an object with `mount`).
 *
 * Cached by `name@version`: later calls for the same version resolve from memory without a
 * request, and calls made while a load is under way share it. The <script> carries the
 * manifest's `integrity` and `crossorigin="anonymous"`; each attempt times out after
 * `timeoutMs` and network failures are retried `retries` times with exponential backoff.
 * Plugins whose bundle uses the shell's React get React 18 first. A failed load is not
 * cached, so calling again retries it.
 *
 * @param {object} manifest a production manifest (name, version, bundleUrl, integrity, …)
 * @param {{timeoutMs?: number, retries?: number, backoffMs?: number}} [options]
 * @returns {Promise<{mount: Function, unmount?: Function}>}
 * @throws {PluginLoadError} (as a rejection) naming the plugin, the file and the reason
 */
export function loadPlugin(manifest, options = {}) {
  try {
    checkManifest(manifest);
  } catch (error) {
    return Promise.reject(error);
  }
  const key = keyOf(manifest);
  if (loadedPlugins.has(key)) return Promise.resolve(loadedPlugins.get(key));
  if (pluginLoads.has(key)) return pluginLoads.get(key);
  const settings = timing(options);
  const load = (async () => {
    await ensureShellGlobals(await shellGlobalsOf(manifest), options);
    const plugin = await withRetries(() => runBundle(manifest, settings), settings);
    loadedPlugins.set(key, plugin);
    return plugin;
  })().finally(() => pluginLoads.delete(key));
  pluginLoads.set(key, load);
  return load;
}

// ---------------------------------------------------------------------------------------------
// Styles scoped to their plugin (docs/shell-runtime.md, "Styles")

const SCOPE_ATTRIBUTE = "data-naap-scope";
let lastScope = null; // the scope of the plugin the person last pointed at, typed or focused in
let portalObserver = null;

/**
 * The stylesheet the shell loads for a manifest: the registry's scoped copy (every selector
 * limited to elements inside `[data-naap-scope="<name>"]`) when it has one, else the file as
 * published.
 *
 * @param {object} manifest a production manifest
 * @returns {?{url: string, integrity: string}}
 */
function stylesOf(manifest) {
  const integrity = manifest.integrity || {};
  if (manifest.scopedStylesUrl && integrity.scopedStyles) {
    return { url: manifest.scopedStylesUrl, integrity: integrity.scopedStyles };
  }
  return manifest.stylesUrl ? { url: manifest.stylesUrl, integrity: integrity.styles } : null;
}

function scopeAround(node) {
  const found = node && node.closest ? node.closest(`[${SCOPE_ATTRIBUTE}]`) : null;
  return found ? found.getAttribute(SCOPE_ATTRIBUTE) : null;
}

// React keeps, on each element it created, its fiber under "__reactFiber$<random>" (React 17+;
// "__reactInternalInstance$" before); the topmost fiber holds the element createRoot was
// given, which lies in the plugin's host, even when the element is portalled to <body>.
function reactRootScope(node) {
  const candidates = [node, ...node.querySelectorAll("*")].slice(0, 50);
  for (const candidate of candidates) {
    const key = Object.keys(candidate).find(
      (name) => name.startsWith("__reactFiber$") || name.startsWith("__reactInternalInstance$"),
    );
    if (!key) continue;
    let fiber = candidate[key];
    for (let steps = 0; fiber && fiber.return && steps < 10000; steps += 1) fiber = fiber.return;
    const root = fiber && fiber.stateNode && fiber.stateNode.containerInfo;
    const scope = root && root.nodeType === Node.ELEMENT_NODE ? scopeAround(root) : null;
    if (scope) return scope;
  }
  return null;
}

function routedScope() {
  // The plugin on show: a mounted container whose host is not hidden (headless ones are).
  const container = document.querySelector(
    `:not([hidden]) > .naap-host__plugin[${SCOPE_ATTRIBUTE}]`,
  );
  return container ? container.getAttribute(SCOPE_ATTRIBUTE) : null;
}

function tagPortal(node) {
  if (node.nodeType !== Node.ELEMENT_NODE || node.hasAttribute(SCOPE_ATTRIBUTE)) return;
  if (["SCRIPT", "STYLE", "LINK", "TEMPLATE", "NOSCRIPT"].includes(node.tagName)) return;
  // The shell's own elements (notifications, hosts) keep the shell's styles.
  if ([...node.classList].some((name) => name.startsWith("naap-"))) return;
  const scope = reactRootScope(node) || lastScope || routedScope();
  if (scope) node.setAttribute(SCOPE_ATTRIBUTE, scope);
}

/**
 * Keep plugins' modals and portals styled: an element a plugin adds to <body> (React's
 * createPortal, a dialog library's root) is tagged with that plugin's scope, so its scoped
 * stylesheet applies there too. The plugin is the one whose React root rendered the element;
 * for other elements, the plugin the person last interacted with, else the routed one.
 * Started once, by the first mount.
 */
function watchPortals() {
  if (portalObserver || typeof MutationObserver === "undefined" || !document.body) return;
  const remember = (event) => {
    lastScope = scopeAround(event.target);
  };
  for (const type of ["pointerdown", "keydown", "focusin"]) {
    document.addEventListener(type, remember, { capture: true, passive: true });
  }
  portalObserver = new MutationObserver((records) => {
    for (const record of records) record.addedNodes.forEach(tagPortal);
  });
  portalObserver.observe(document.body, { childList: true });
}

function acquireStyles(manifest, options) {
  const styles = stylesOf(manifest);
  if (!styles) return Promise.resolve(null);
  const url = absoluteUrl(styles.url);
  let entry = stylesheets.get(url);
  if (!entry) {
    const settings = timing(options);
    entry = { users: 0, link: null, ready: null };
    const created = entry;
    entry.ready = withRetries(
      () =>
        insertAsset("style", url, styles.integrity, {
          timeoutMs: settings.timeoutMs,
          label: keyOf(manifest),
          dataset: { naapStyles: keyOf(manifest) },
        }),
      settings,
    ).then(
      (link) => {
        created.link = link;
        return link;
      },
      (error) => {
        if (stylesheets.get(url) === created) stylesheets.delete(url);
        throw error;
      },
    );
    stylesheets.set(url, entry);
  }
  entry.users += 1;
  const held = entry;
  return entry.ready.then(
    () => url,
    (error) => {
      held.users -= 1;
      throw error;
    },
  );
}

function releaseStyles(url) {
  const entry = stylesheets.get(url);
  if (!entry) return;
  entry.users -= 1;
  if (entry.users > 0) return;
  stylesheets.delete(url);
  entry.ready.then(
    (link) => link.remove(),
    () => {},
  );
}

/**
 * Hint the browser to fetch bundles (and stylesheets) early: one
 * `<link rel="preload" as="script" integrity crossorigin="anonymous">` per manifest, so the
 * later <script> with the same integrity reuses the download. React is preloaded too when a
 * manifest says it uses the shell's React.
 *
 * @param {object[]} manifests production manifests
 * @returns {HTMLLinkElement[]} the links added (none for files already loaded or preloaded)
 */
export function preloadPlugins(manifests) {
  const added = [];
  const hint = (url, as, integrity) => {
    const href = absoluteUrl(url);
    if (preloaded.has(href)) return;
    preloaded.add(href);
    const link = document.createElement("link");
    link.rel = "preload";
    link.as = as;
    link.href = href;
    link.crossOrigin = "anonymous";
    if (integrity) link.integrity = integrity;
    document.head.append(link);
    added.push(link);
  };
  const wantedGlobals = new Set();
  for (const manifest of manifests || []) {
    if (!manifest || !manifest.bundleUrl || !manifest.integrity || !manifest.integrity.bundle) {
      continue;
    }
    if (loadedPlugins.has(keyOf(manifest))) continue;
    hint(manifest.bundleUrl, "script", manifest.integrity.bundle);
    const styles = stylesOf(manifest);
    if (styles && styles.integrity) hint(styles.url, "style", styles.integrity);
    const globals = manifest.shellGlobals || shellGlobalsKnown.get(keyOf(manifest)) || [];
    for (const [name] of shellGlobalsToLoad(globals)) wantedGlobals.add(name);
  }
  for (const [name, fileKey] of SHELL_GLOBAL_FILES) {
    if (!wantedGlobals.has(name) || !runtime.react || window[name]) continue;
    hint(runtime.react[fileKey].url, "script", runtime.react[fileKey].integrity);
  }
  return added;
}

// ---------------------------------------------------------------------------------------------
// The host element

function setState(host, state, detail = {}) {
  host.classList.add("naap-host");
  host.dataset.naapState = state;
  host.setAttribute("aria-busy", state === "loading" ? "true" : "false");
  host.dispatchEvent(new CustomEvent("naap:statechange", { bubbles: true, detail: { state, ...detail } }));
}

function renderLoading(host, manifest) {
  const status = element("div", "naap-host__status");
  status.setAttribute("role", "status");
  status.append(element("span", "naap-spinner"), ` Loading ${manifest.displayName || manifest.name}…`);
  status.firstChild.setAttribute("aria-hidden", "true");
  host.replaceChildren(status);
}

function renderError(host, manifest, error, retry) {
  const box = element("div", "naap-host__error");
  box.setAttribute("role", "alert");
  const runtimeError = error instanceof PluginLoadError && error.kind === "runtime";
  const failed = runtimeError ? "stopped working" : "could not be loaded";
  const title = `${manifest && (manifest.displayName || manifest.name) || "This plugin"} ${failed}`;
  box.append(element("p", "naap-host__error-title", title));
  box.append(element("p", "naap-host__error-message", messageOf(error)));
  const button = element("button", "naap-host__retry", "Retry");
  button.type = "button";
  button.addEventListener("click", () => {
    button.disabled = true;
    retry();
  });
  box.append(button);
  host.replaceChildren(box);
}

// ---------------------------------------------------------------------------------------------
// One plugin's failure stays in its host
//
// Plugins share the page's React. React 18 commits a root, then runs its effects in a later
// scheduler task, and flushes any pending effects before it renders another root: when the
// first root's effect throws there, the second root's render is dropped. So each plugin's
// `mount` runs in a task of its own, and the next one waits until React has rendered,
// committed and run the effects of the one before (a few message hops). Errors a plugin's
// code throws later (an effect, a render, a timer, a rejected promise) are matched to the
// plugin by its bundle's URL in the error's stack or file name (bundles load with
// crossorigin="anonymous", so their errors are not muted) and put that plugin's host, and
// only it, into the error state with Retry.

// How long the next mount waits for an async `mount` before taking its own turn anyway.
const MOUNT_TURN_MS = 250;
let mountTurn = Promise.resolve(); // settles when the last queued mount has had its turn
const runningCode = new Map(); // absolute bundle URL -> Set of mount records running its code
const evaluating = new Set(); // bundle URLs running for the first time (runBundle reports them)

/** Resolve in a new task: after the messages (React's scheduler included) already posted. */
function nextTask() {
  return new Promise((resolve) => {
    const channel = new ShellMessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * Let React finish what a mount started: its scheduler posts messages too, so three hops see
 * the render and commit, then the effects, then what they scheduled. No timer: timers are
 * throttled in background tabs, messages are not.
 */
async function reactSettled() {
  for (let hop = 0; hop < 3; hop += 1) await nextTask();
}

function watchCode(record) {
  if (!runningCode.has(record.bundleUrl)) runningCode.set(record.bundleUrl, new Set());
  runningCode.get(record.bundleUrl).add(record);
}

function unwatchCode(record) {
  const records = runningCode.get(record.bundleUrl);
  if (!records) return;
  records.delete(record);
  if (!records.size) runningCode.delete(record.bundleUrl);
}

/**
 * Run `plugin.mount` in its own task once the mounts queued before it have had theirs; the
 * next mount waits until this one's React work has run (or MOUNT_TURN_MS for an async mount).
 * Resolves to what `mount` returned, or to `skipped` when the host moved on meanwhile.
 */
async function mountInOwnTask(record, run, skipped) {
  const before = mountTurn;
  let release;
  mountTurn = new Promise((resolve) => {
    release = resolve;
  });
  await before;
  await nextTask();
  if (hosts.get(record.host) !== record) {
    release();
    return skipped;
  }
  watchCode(record);
  const mounting = (async () => run())();
  Promise.race([mounting.then(() => {}, () => {}), sleep(MOUNT_TURN_MS)])
    .then(reactSettled)
    .then(release);
  const result = await mounting;
  await reactSettled();
  return result;
}

/** The mount records whose bundle's code raised `error` (innermost frame first), if any. */
function recordsRaising(error, filename) {
  const stack = error && typeof error.stack === "string" ? error.stack : "";
  let found = null;
  let earliest = Infinity;
  for (const [url, records] of runningCode) {
    const at = stack.indexOf(`${url}:`);
    if (at >= 0 && at < earliest) {
      earliest = at;
      found = records;
    }
  }
  if (!found && filename) found = runningCode.get(filename) || null;
  return found ? [...found] : [];
}

/** A React root torn down by an error nobody could attribute: its container went empty. */
function emptiedContainers() {
  const emptied = [];
  for (const records of runningCode.values()) {
    for (const record of records) {
      const { container } = record;
      if (record.rendered && container && container.isConnected && !container.firstChild) {
        emptied.push(record);
      }
    }
  }
  return emptied;
}

function onUncaught(error, filename, event) {
  if (filename && evaluating.has(filename)) return; // the bundle's first run: runBundle's
  let records = recordsRaising(error, filename);
  if (!records.length) records = emptiedContainers();
  if (!records.length) return;
  event.preventDefault(); // reported below, naming the plugin
  for (const record of records) pluginCrashed(record, error);
}

// Only the browser's own events: a plugin dispatching a made-up ErrorEvent naming another
// plugin's bundle must not take that plugin down.
window.addEventListener("error", (event) => {
  if (event.isTrusted) onUncaught(event.error ?? new Error(event.message), event.filename, event);
});
window.addEventListener("unhandledrejection", (event) => {
  if (event.isTrusted) onUncaught(event.reason, "", event);
});

/** A plugin's own code failed after `mount` was called: its host, only it, shows the error. */
function pluginCrashed(record, error) {
  if (record.crashed) return;
  const label = keyOf(record.manifest);
  record.crashed = new PluginLoadError(`${label} stopped with an error: ${messageOf(error)}`, {
    kind: "runtime",
    cause: error,
  });
  // While its mount is still settling, mountPlugin reports it; afterwards, it is done here.
  if (record.settled && hosts.get(record.host) === record) failHost(record, record.crashed);
}

/**
 * Send the field reports queued so far now (they also go when 20 are queued, 5 s after the
 * first, and when the page is hidden); false when there was nothing to send or a beacon was
 * refused.
 *
 * @returns {boolean}
 */
export function flushFieldReports() {
  return reporter.flush();
}

/** A failure of one of the shell's own mounts, reported once: before it mounted, in the
 * phase the error names (an error of its code while mounting is a mount failure); after, as
 * a runtime failure. */
function reportFailure(record, error) {
  if (!record.trusted || record.reported === "failed" || !record.manifest) return;
  record.reported = "failed";
  const loadPhase = phaseOf(error) === "runtime" ? "mount" : phaseOf(error);
  reporter.report(keyOf(record.manifest), "failed", record.settled ? "runtime" : loadPhase);
}

/** Put a host into the error state: cleanup, the message and a Retry button. */
function failHost(record, error) {
  const { host, manifest, options } = record;
  runCleanup(record);
  record.failed = true;
  reportFailure(record, error);
  console.error(`[naap] ${messageOf(error)}`, error.cause ?? "");
  const retry = async () => {
    let next = manifest;
    if (typeof options.resolveManifest === "function") {
      try {
        next = await options.resolveManifest(manifest);
      } catch (resolveError) {
        renderError(host, manifest, resolveError, retry);
        return;
      }
    }
    await mountIn(host, next, options, record.trusted);
  };
  renderError(host, manifest, error, retry);
  const label = manifest && manifest.name ? keyOf(manifest) : "plugin";
  setState(host, "error", { plugin: label, error: messageOf(error) });
  return { state: "error", error, duration: null };
}

/** Run a plugin's `init(context)` (awaited), then its mount; an init that throws or rejects
 * is the host's error (`kind` "init") and mount never runs. */
async function initThenMount(plugin, record, mount) {
  try {
    await plugin.init(record.context);
  } catch (error) {
    throw new PluginLoadError(`${keyOf(record.manifest)} failed in init: ${messageOf(error)}`, {
      kind: "init",
      cause: error,
    });
  }
  if (hosts.get(record.host) !== record) return undefined;
  return mount();
}

/**
 * Mount a plugin into a host element: the host shows a loading state, then the plugin
 * (`data-naap-state="mounted"`) or an error with its message and a Retry button
 * (`data-naap-state="error"`). Styles are loaded and applied before `mount` runs. Whatever
 * `mount` returns (a cleanup function, or an object with `unmount`) runs on unmount. A plugin
 * that fails to load, throws in `mount`, or whose code throws later (a React render or
 * effect, a timer, a rejected promise) is contained in its host, which shows the error; the
 * promise never rejects. Each `mount` runs in a task of its own, after React has finished
 * the mount before it; "mounted" is said once React has rendered and run the effects. The
 * host fires `naap:statechange` events.
 *
 * @param {HTMLElement} host the element the plugin lives in
 * @param {object} manifest the plugin's production manifest
 * @param {object} [options] loader options, createPluginContext options, and:
 * @param {function(object): Promise<object>} [options.resolveManifest] called by Retry to get
 *   a fresh manifest (e.g. a fixed version); without it Retry loads the same one again
 * @param {object} [options.context] a context to use instead of a new one
 * @returns {Promise<{state: string, error: ?Error, duration: ?number}>} how it ended:
 *   "mounted", "error", or "superseded" when unmounted or remounted meanwhile
 */
export function mountPlugin(host, manifest, options = {}) {
  return mountIn(host, manifest, options, false);
}

/**
 * mountPlugin, and for the shell's own mounts of the plugins it booted with (`trusted`), a
 * context holding the plugin's token and installation; a context made for any other caller
 * (plugin code can import the runtime) holds neither.
 */
async function mountIn(host, manifest, options, trusted) {
  await unmountPlugin(host);
  const record = { host, manifest, options, trusted, cleanup: null, stylesUrl: null, context: null };
  hosts.set(host, record);
  const current = () => hosts.get(host) === record;
  const label = manifest && manifest.name ? keyOf(manifest) : "plugin";
  const started = performance.now();
  const superseded = Object.freeze({ state: "superseded", error: null, duration: null });
  setState(host, "loading", { plugin: label });
  renderLoading(host, manifest || {});
  try {
    checkManifest(manifest);
    const [loaded, styles] = await Promise.allSettled([
      loadPlugin(manifest, options),
      acquireStyles(manifest, options),
    ]);
    if (styles.status === "fulfilled" && styles.value) record.stylesUrl = styles.value;
    if (loaded.status === "rejected") throw loaded.reason;
    if (styles.status === "rejected") throw styles.reason;
    if (!current()) {
      if (record.stylesUrl) releaseStyles(record.stylesUrl);
      return superseded;
    }
    const plugin = loaded.value;
    const container = element("div", "naap-host__plugin");
    container.dataset.naapPlugin = manifest.name;
    // The plugin's scoped stylesheet styles this element and what is inside it only.
    container.setAttribute(SCOPE_ATTRIBUTE, manifest.name);
    watchPortals();
    host.replaceChildren(container);
    record.container = container;
    record.bundleUrl = absoluteUrl(manifest.bundleUrl);
    record.ownContext = !options.context;
    record.context =
      options.context ||
      (trusted ? privileged.trustedContext(manifest, options) : createPluginContext(manifest, options));
    let result;
    try {
      const mount = () => plugin.mount(container, record.context);
      // The SDK's optional init(context) runs first; when it fails, mount is not called.
      const run = typeof plugin.init === "function" ? () => initThenMount(plugin, record, mount) : mount;
      result = await mountInOwnTask(record, run, superseded);
    } catch (error) {
      if (error instanceof PluginLoadError) throw error;
      throw new PluginLoadError(`${label} failed while mounting: ${messageOf(error)}`, {
        kind: "mount",
        cause: error,
      });
    }
    if (result === superseded) {
      runCleanup(record);
      return superseded;
    }
    if (typeof result === "function") record.cleanup = result;
    else if (result && typeof result.unmount === "function") record.cleanup = () => result.unmount();
    else if (typeof plugin.unmount === "function") {
      record.cleanup = () => plugin.unmount(container, record.context);
    }
    if (!current()) {
      runCleanup(record);
      return superseded;
    }
    if (record.crashed) throw record.crashed;
    record.settled = true;
    record.rendered = container.firstChild !== null;
    const duration = performance.now() - started;
    performance.measure(`naap:mount ${label}`, { start: started, duration });
    if (trusted) reporter.report(label, "mounted", "", duration);
    setState(host, "mounted", { plugin: label, duration });
    return { state: "mounted", error: null, duration };
  } catch (error) {
    if (!current()) {
      runCleanup(record);
      return { state: "superseded", error, duration: null };
    }
    return failHost(record, error);
  }
}

function runCleanup(record) {
  unwatchCode(record);
  if (record.cleanup) {
    try {
      record.cleanup();
    } catch (error) {
      console.error(`[naap] ${keyOf(record.manifest)} threw while unmounting:`, error);
    }
    record.cleanup = null;
  }
  if (record.context && record.ownContext) disposeContext(record.context);
  if (record.stylesUrl) {
    releaseStyles(record.stylesUrl);
    record.stylesUrl = null;
  }
}

/**
 * Unmount whatever is mounted (or loading) in a host: runs the plugin's cleanup, drops its
 * event and theme subscriptions, releases its stylesheet (removed when no other host uses
 * it) and empties the host.
 *
 * @param {HTMLElement} host
 * @returns {Promise<boolean>} false when nothing was mounted there
 */
export async function unmountPlugin(host) {
  const record = hosts.get(host);
  if (!record) return false;
  hosts.delete(host);
  runCleanup(record);
  host.replaceChildren();
  setState(host, "unmounted", { plugin: record.manifest && record.manifest.name });
  return true;
}

// ---------------------------------------------------------------------------------------------
// Client-side cache (IndexedDB, with an in-memory stand-in where it is unavailable)

const DATABASE_NAME = "naap-shell";
const DATABASE_STORES = ["manifests", "bootstrap", "globals"];
const memoryCache = new Map();
let databaseOpening = null;

function openDatabase() {
  if (!databaseOpening) {
    databaseOpening = new Promise((resolve) => {
      if (!("indexedDB" in window)) {
        resolve(null);
        return;
      }
      let request;
      try {
        request = indexedDB.open(DATABASE_NAME, 1);
      } catch {
        resolve(null);
        return;
      }
      request.onupgradeneeded = () => {
        for (const store of DATABASE_STORES) {
          if (!request.result.objectStoreNames.contains(store)) {
            request.result.createObjectStore(store);
          }
        }
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => resolve(null);
      request.onblocked = () => resolve(null);
    });
  }
  return databaseOpening;
}

async function cacheGet(store, key) {
  const database = await openDatabase();
  if (!database) return memoryCache.get(`${store}:${key}`) ?? null;
  return new Promise((resolve) => {
    try {
      const request = database.transaction(store).objectStore(store).get(key);
      request.onsuccess = () => resolve(request.result ?? null);
      request.onerror = () => resolve(null);
    } catch {
      resolve(null);
    }
  });
}

async function cachePut(store, key, value) {
  const database = await openDatabase();
  if (!database) {
    memoryCache.set(`${store}:${key}`, value);
    return;
  }
  await new Promise((resolve) => {
    try {
      const transaction = database.transaction(store, "readwrite");
      transaction.objectStore(store).put(value, key);
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => resolve();
      transaction.onabort = () => resolve();
    } catch {
      resolve();
    }
  });
}

function manifestUrl(name, version) {
  const quoted = (part) => encodeURIComponent(part);
  return `${runtime.apiBase}/plugins/registry/${quoted(name)}/${quoted(version)}/manifest`;
}

/**
 * A version's production manifest through the IndexedDB cache: answered from the cache while
 * younger than the `max-age` the server gave it, otherwise revalidated with `If-None-Match`
 * (a 304 renews the cached copy). When the registry cannot be reached, or answers with a
 * server error, the cached copy is used however old: the shell starts offline.
 *
 * @param {string} name the plugin's name
 * @param {string} version a version, or "latest"
 * @param {{revalidate?: boolean}} [options] revalidate even when the copy is fresh
 * @returns {Promise<object>} the manifest
 */
export async function fetchManifest(name, version, options = {}) {
  const url = manifestUrl(name, version);
  const cached = await cacheGet("manifests", url);
  const now = Date.now();
  if (cached && !options.revalidate && now < cached.storedAt + cached.maxAge * 1000) {
    return cached.document;
  }
  const headers = { Accept: "application/json" };
  if (cached && cached.etag) headers["If-None-Match"] = cached.etag;
  let response;
  try {
    response = await shellFetch(url, { headers, credentials: "same-origin", cache: "no-store" });
  } catch (error) {
    if (cached) return cached.document;
    throw new Error(`Could not fetch the manifest of ${name}@${version}: ${messageOf(error)}`);
  }
  if (response.status === 304 && cached) {
    await cachePut("manifests", url, { ...cached, storedAt: now, maxAge: maxAgeOf(response) });
    return cached.document;
  }
  if (!response.ok) {
    if (cached && response.status >= 500) return cached.document;
    throw new Error(`The manifest of ${name}@${version}: ${await errorMessageOf(response)}`);
  }
  const fetched = await response.json();
  await cachePut("manifests", url, {
    document: fetched,
    etag: response.headers.get("ETag"),
    storedAt: now,
    maxAge: maxAgeOf(response),
  });
  return fetched;
}

/** The bootstrap's URL, asking for the versions this shell can run (`shellVersion`) when the
 * shell knows its version and the configured URL does not already say. */
function bootstrapRequestUrl() {
  const url = new URL(runtime.bootstrapUrl, document.baseURI);
  if (runtime.shellVersion !== DEFAULT_SHELL_VERSION && !url.searchParams.has("shellVersion")) {
    url.searchParams.set("shellVersion", runtime.shellVersion);
  }
  return url.href;
}

/** The installed plugins: from the API (revalidated with its ETag), else from the cache. */
async function fetchInstalledPlugins() {
  const url = bootstrapRequestUrl();
  const key = `${url}|${runtime.user ? runtime.user.id : "anonymous"}`;
  const cached = await cacheGet("bootstrap", key);
  const headers = { Accept: "application/json" };
  if (cached && cached.etag) headers["If-None-Match"] = cached.etag;
  let response;
  try {
    response = await shellFetch(url, { headers, credentials: "same-origin", cache: "no-store" });
  } catch (error) {
    if (cached) return { plugins: cached.plugins, reportTicket: cached.reportTicket, source: "cache" };
    throw new Error(`Could not reach the registry for your plugins: ${messageOf(error)}`);
  }
  if (response.status === 304 && cached) {
    return { plugins: cached.plugins, reportTicket: cached.reportTicket, source: "network" };
  }
  if (!response.ok) {
    if (cached && response.status >= 500) {
      return { plugins: cached.plugins, reportTicket: cached.reportTicket, source: "cache" };
    }
    throw new Error(`Your plugins could not be loaded: ${await errorMessageOf(response)}`);
  }
  const { plugins, reportTicket } = (await response.json()).data;
  const now = Date.now();
  const etag = response.headers.get("ETag");
  await cachePut("bootstrap", key, { plugins, reportTicket, etag, storedAt: now });
  for (const plugin of plugins) {
    // The same document the manifest endpoint serves, so an offline start has it too.
    const { name, version } = plugin.manifest;
    const stored = await cacheGet("manifests", manifestUrl(name, version));
    if (!stored) {
      await cachePut("manifests", manifestUrl(name, version), {
        document: plugin.manifest,
        etag: null,
        storedAt: now,
        maxAge: DEFAULT_MANIFEST_MAX_AGE,
      });
    }
  }
  return { plugins, reportTicket, source: "network" };
}

// ---------------------------------------------------------------------------------------------
// The demo shell: sidebar, content, routing by the plugins' routes

let hostRequests = 0;

/**
 * Ask the marketplace page that frames this shell (static/naap/shell-host.js) for something
 * only it can fetch with the person's session, e.g. "naap:plugins": the installed plugins'
 * manifests (never their config), or "naap:token" (`{plugin, grant}`): a fresh token for that
 * plugin. Rejects after the load timeout, or with the page's error (and HTTP `status`).
 */
function askHostPage(type, details = {}) {
  const id = `${type}#${++hostRequests}`;
  // The answer comes back on a port only this call holds, never as a window message, which
  // every plugin in the frame could listen to (tokens travel this way).
  const channel = new ShellMessageChannel();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      channel.port1.close();
      reject(new Error("The shell page did not answer; reload it."));
    }, runtime.timeoutMs);
    channel.port1.onmessage = (event) => {
      clearTimeout(timer);
      channel.port1.close();
      if (!event.data || event.data.id !== id) {
        reject(new Error("The shell page answered something else; reload it."));
      } else if (event.data.error) {
        reject(Object.assign(new Error(event.data.error), { status: event.data.status }));
      } else resolve(event.data.answer);
    };
    hostWindow.postMessage({ ...details, type, id }, "*", [channel.port2]);
  });
}

function shellPath() {
  const path = window.location.pathname;
  const base = runtime.basePath;
  if (base && (path === base || path === `${base}/`)) return "/";
  if (base && path.startsWith(`${base}/`)) return path.slice(base.length);
  return path;
}

function navigationPath(plugin) {
  const manifest = plugin.manifest;
  const declared = manifest.navigation && manifest.navigation.path;
  if (typeof declared === "string" && declared.startsWith("/")) return declared;
  return basePathOf(manifest);
}

function withShellGlobals(manifest) {
  const globals = shellGlobalsKnown.get(keyOf(manifest));
  return globals && !Array.isArray(manifest.shellGlobals) ? { ...manifest, shellGlobals: globals } : manifest;
}

function isHeadless(plugin) {
  return !(plugin.manifest.routes || []).length;
}

/**
 * The sidebar's order: pinned plugins first, then by the manifest's `navigation.order`
 * (plugins without one after those with one), ties in the bootstrap's order (the person's
 * own order, then the name).
 */
function sidebarOrder(plugins) {
  const rank = (plugin) => {
    const order = plugin.manifest.navigation && plugin.manifest.navigation.order;
    return typeof order === "number" && Number.isFinite(order) ? order : Infinity;
  };
  return plugins
    .map((plugin, index) => ({ plugin, index }))
    .sort(
      (a, b) =>
        Number(Boolean(b.plugin.pinned)) - Number(Boolean(a.plugin.pinned)) ||
        (rank(a.plugin) === rank(b.plugin) ? 0 : rank(a.plugin) < rank(b.plugin) ? -1 : 1) ||
        a.index - b.index,
    )
    .map(({ plugin }) => plugin);
}

/**
 * Start the shell on a page: fetch the signed-in user's installed plugins (from
 * `GET /api/v1/plugins/installed`, or the IndexedDB copy when offline), preload the bundles
 * of the plugin the URL routes to and of the headless plugins, list the plugins in the
 * navigation (by `navigation.order`), mount the routed plugin into the content element and
 * then the headless plugins (each in a task of its own; headless ones load even when
 * switched off); links and `navigate` use the history API.
 *
 * @param {object} options configureShell options, and:
 * @param {HTMLElement} options.nav the element the navigation list goes in
 * @param {HTMLElement} options.content the host element of the routed plugin
 * @param {HTMLElement} [options.status] where the shell says it is offline or has no plugins
 * @returns {Promise<{plugins: object[], source: string, go: function(string): void}>}
 */
export async function bootShell(options = {}) {
  if (booted) throw new Error("The shell has already booted on this page.");
  configureShell(options);
  booted = true;
  const { nav, content, status } = options;
  const say = (text) => {
    if (status) status.textContent = text;
  };
  let bootstrap;
  try {
    bootstrap = options.bootstrap
      ? { plugins: options.bootstrap.plugins, reportTicket: options.bootstrap.reportTicket, source: "inline" }
      : await fetchInstalledPlugins();
  } catch (error) {
    say(messageOf(error));
    throw error;
  }
  // Headless plugins serve the others: they load even when switched off.
  let plugins = bootstrap.plugins.filter((plugin) => plugin.enabled || isHeadless(plugin));
  privileged.setInstallations(bootstrap.plugins);
  reporter.setTicket(bootstrap.reportTicket, bootstrap.plugins);
  await resolveShellGlobals(plugins.map((plugin) => plugin.manifest));
  plugins = plugins.map((plugin) => ({ ...plugin, manifest: withShellGlobals(plugin.manifest) }));
  const headless = plugins.filter(isHeadless);
  const routedAt = (path) => plugins.find((entry) => routesAllow(entry.manifest.routes || [], path));
  // Only what this page shows at once is fetched ahead: the routed plugin and the headless
  // ones. Any other plugin's files load when it is navigated to.
  const firstRouted = routedAt(shellPath());
  preloadPlugins([...(firstRouted ? [firstRouted] : []), ...headless].map((plugin) => plugin.manifest));
  if (bootstrap.source === "cache") say("Offline: your plugins as of your last visit.");
  else if (!plugins.length) say("You have no plugins enabled yet: install some from the marketplace.");

  const refreshed = (name) => async () => {
    const fresh = runtime.bridge ? await askHostPage("naap:plugins") : await fetchInstalledPlugins();
    // A fresh bootstrap may serve other versions: their reports go with its ticket.
    if (fresh.reportTicket) reporter.setTicket(fresh.reportTicket, fresh.plugins);
    const found = fresh.plugins.find((plugin) => plugin.name === name);
    if (!found) throw new Error(`${name} is no longer installed.`);
    await resolveShellGlobals([found.manifest]);
    return withShellGlobals(found.manifest);
  };
  // The config as it is now: tenant.updateConfig changes the booted installation's, and a
  // Retry or a later visit must see that one, not the one the shell booted with.
  const configOf = (plugin) =>
    (bootstrap.plugins.find((entry) => entry.name === plugin.name) || plugin).config;
  const mountOptions = (plugin) => ({
    get config() {
      return configOf(plugin);
    },
    resolveManifest: refreshed(plugin.name),
  });

  const links = new Map();
  const list = element("ul", "naap-shell__nav-list");
  for (const plugin of sidebarOrder(plugins.filter((entry) => !isHeadless(entry)))) {
    const navigation = plugin.manifest.navigation || {};
    const link = element("a", "naap-shell__nav-link", navigation.label || plugin.displayName);
    link.href = runtime.basePath + navigationPath(plugin);
    link.dataset.plugin = plugin.name;
    const item = element("li");
    item.append(link);
    list.append(item);
    links.set(plugin.name, link);
  }
  if (nav) nav.replaceChildren(list);

  // Headless plugins (no routes) provide services, not pages: mounted once, out of sight,
  // after the routed plugin; a headless plugin that fails shows its error and Retry below it.
  const mountHeadless = () => {
    for (const plugin of headless) {
      const hidden = element("div", "naap-shell__headless");
      hidden.hidden = true;
      hidden.dataset.plugin = plugin.name;
      hidden.addEventListener("naap:statechange", (event) => {
        if (event.target === hidden) hidden.hidden = event.detail.state !== "error";
      });
      (content && content.parentElement ? content.parentElement : document.body).append(hidden);
      mountIn(hidden, plugin.manifest, mountOptions(plugin), true);
    }
  };

  let current = null;
  const route = async () => {
    const path = shellPath();
    const plugin = routedAt(path);
    for (const [name, link] of links) {
      if (plugin && plugin.name === name) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    publish("shell:route-changed", frozenCopy({ path }));
    if (!content || (plugin && current === plugin.name)) return;
    current = plugin ? plugin.name : null;
    if (!plugin) {
      await unmountPlugin(content);
      const message = path === "/" ? "Choose a plugin from the list." : `No plugin handles ${path}.`;
      content.replaceChildren(element("p", "naap-shell__empty", message));
      return;
    }
    await mountIn(content, plugin.manifest, mountOptions(plugin), true);
  };
  const tellHostPage = () => {
    if (runtime.bridge) hostWindow.postMessage({ type: "naap:navigated", path: shellPath() }, "*");
  };
  const go = (path) => {
    window.history.pushState(null, "", runtime.basePath + path);
    tellHostPage();
    route();
  };
  runtime.onNavigate = go;
  if (nav) {
    nav.addEventListener("click", (event) => {
      const link = event.target.closest && event.target.closest("a.naap-shell__nav-link");
      if (!link || event.defaultPrevented || event.button !== 0) return;
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      go(new URL(link.href).pathname.slice(runtime.basePath.length) || "/");
    });
  }
  window.addEventListener("popstate", () => {
    tellHostPage();
    route();
  });
  // The routed plugin first; the headless ones follow once it has mounted (or failed), or
  // after a head start, so that a slow or stuck routed plugin never holds them back.
  const routed = route();
  await Promise.race([routed, sleep(ROUTED_HEAD_START_MS)]);
  mountHeadless();
  await routed;
  return { plugins, source: bootstrap.source, go };
}
