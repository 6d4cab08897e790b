/**
 * The context a plugin's `mount(container, context)` receives: `@naap/plugin-sdk`'s
 * ShellContext (auth, navigate, eventBus, theme, notifications, integrations, logger,
 * permissions, tenant, team, api, capabilities, version) plus our storage, config and facts,
 * one per plugin, frozen all the way down (docs/shell-runtime.md, "createPluginContext").
 *
 * shell.js binds its page settings here once (bindShell); plugin tokens live only in this
 * module's scope and in each plugin's own functions.
 *
 * @module naap/shell-context
 */

import { deepFreeze, emitAsShell, eventBusFor, frozenCopy, publish, themeFor } from "./shell-events.js";
import {
  ShellServiceError,
  capabilitiesFor,
  integrationsFor,
  loggerFor,
  notificationsFor,
  permissionsFor,
} from "./shell-services.js";
import { teamFor, tenantFor } from "./shell-tenant.js";

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const RENEW_MARGIN_MS = 60000;
const DEFAULT_TOKEN_LIFETIME_S = 600;
let shell = null; // {runtime, shellFetch, askHostPage, routesAllow, basePathOf, PluginLoadError}
const tokens = new Map(); // plugin name -> {value, expiresAt, renewing}
const contextDisposers = new WeakMap(); // context -> functions that undo its subscriptions
const authListeners = new Set(); // onAuthStateChange callbacks of every plugin
let installations = null; // the bootstrap's plugins, when the shell booted from one
let signedOut = false;

/**
 * Give this module the page's settings and loader helpers. shell.js calls it once, when it
 * loads and before any plugin runs, and receives the only handle on what plugins must not
 * reach: setting plugins' tokens and installations, and contexts that hold them. Later calls
 * (plugin code can import this module) get null.
 *
 * @returns {?{setPluginTokens: Function, setInstallations: Function, trustedContext: Function}}
 */
export function bindShell(dependencies) {
  if (shell) return null;
  shell = dependencies;
  return Object.freeze({
    setPluginTokens,
    setInstallations,
    trustedContext: (manifest, options) => buildContext(manifest, options, true),
  });
}

/**
 * Keep each plugin's short-lived token (`{name: token}`, from the shell frame's page), valid
 * for `lifetime` seconds from now; renewed through the framing page before it ends. A plugin
 * that already has one keeps it.
 */
function setPluginTokens(grants, lifetime) {
  const seconds = Number(lifetime) > 0 ? Number(lifetime) : DEFAULT_TOKEN_LIFETIME_S;
  for (const [name, value] of Object.entries(grants || {})) {
    if (tokens.has(name)) continue;
    const lifetimeMs = seconds * 1000;
    tokens.set(name, { value: String(value), expiresAt: Date.now() + lifetimeMs, lifetimeMs, renewing: null });
  }
}

/** The installed plugins the shell booted with (tenant and team answer from them); set once. */
function setInstallations(plugins) {
  if (installations === null && Array.isArray(plugins)) installations = plugins;
}

function markSignedOut() {
  if (signedOut) return;
  signedOut = true;
  for (const callback of [...authListeners]) {
    try {
      callback(null);
    } catch (error) {
      console.error("[naap] an onAuthStateChange callback threw:", error);
    }
  }
  emitAsShell("auth:logout", {});
}

async function renew(name, entry) {
  if (!shell.runtime.bridge) throw new Error(`${name}'s token has expired: reload the page.`);
  let answer;
  try {
    answer = await shell.askHostPage("naap:token", { plugin: name, grant: entry.value });
  } catch (error) {
    if (error.status === 401) markSignedOut();
    throw error;
  }
  entry.value = String(answer.token);
  const seconds = Number(answer.expiresIn);
  entry.lifetimeMs = (seconds > 0 ? seconds : DEFAULT_TOKEN_LIFETIME_S) * 1000;
  entry.expiresAt = Date.now() + entry.lifetimeMs;
  return entry.value;
}

/** A plugin's current token (renewed when under a minute is left, or when `force`d), or
 * null where the page gave it none (previews). */
function tokenFor(name, force = false) {
  const entry = tokens.get(name);
  if (!entry) return Promise.resolve(null);
  // Renewed when a minute (or a quarter of a shorter lifetime) is left.
  const margin = Math.min(RENEW_MARGIN_MS, entry.lifetimeMs / 4);
  if (!force && entry.expiresAt - Date.now() > margin && !signedOut) {
    return Promise.resolve(entry.value);
  }
  if (!entry.renewing) {
    entry.renewing = renew(name, entry).finally(() => {
      entry.renewing = null;
    });
  }
  return entry.renewing;
}

function readCookie(name) {
  try {
    for (const part of document.cookie.split(";")) {
      const [key, ...rest] = part.trim().split("=");
      if (key === name) return decodeURIComponent(rest.join("="));
    }
  } catch {
    // An opaque origin has no cookies.
  }
  return null;
}

/** The error message of an API answer (the envelope's), else its HTTP status. */
export async function errorMessageOf(response) {
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) return body.error.message;
  } catch {
    // Not JSON: the status says enough.
  }
  return `HTTP ${response.status}`;
}

/** The SDK's IApiClient over fetch limited to /api/v1/plugins/<name>/, plus `fetch`; with
 * the plugin's token only in a context the shell made for the plugin's own code (`trusted`). */
function apiFor(name, trusted) {
  const base = `${shell.runtime.apiBase}/plugins/${encodeURIComponent(name)}/`;
  // The URL's origin, not the document's: in a sandboxed frame the document's is opaque.
  const origin = new URL(window.location.href).origin;
  const send = async (target, init, method, headers) => {
    const token = trusted ? await tokenFor(name) : null;
    if (!token) {
      if (UNSAFE_METHODS.has(method) && !headers.has("X-CSRFToken")) {
        const csrf = readCookie(shell.runtime.csrfCookieName);
        if (csrf) headers.set("X-CSRFToken", csrf);
      }
      return shell.shellFetch(target, { ...init, method, headers, credentials: "same-origin" });
    }
    headers.set("Authorization", `NaapPlugin ${token}`);
    const response = await shell.shellFetch(target, { ...init, method, headers, credentials: "omit" });
    if (response.status !== 401) return response;
    // Expired meanwhile (a sleeping laptop): renew once and try again.
    headers.set("Authorization", `NaapPlugin ${await tokenFor(name, true)}`);
    return shell.shellFetch(target, { ...init, method, headers, credentials: "omit" });
  };
  const scopedFetch = (input, init = {}) => {
    if (typeof input !== "string" && !(input instanceof URL)) {
      return Promise.reject(new TypeError("api.fetch takes a path or URL, not a Request."));
    }
    const text = String(input);
    const relative = !text.startsWith("/") && !/^[a-z][a-z0-9+.-]*:/i.test(text);
    const target = new URL(relative ? base + text : text, origin);
    const rest = target.pathname.slice(base.length);
    // The URL parser has already resolved "." and ".." segments; encoded ones and encoded
    // slashes are refused so that the server cannot resolve them differently.
    if (target.origin !== origin || !target.pathname.startsWith(base) || /%2e|%2f|%5c/i.test(rest)) {
      const refusal = `[naap] ${name} may only call ${base}…; refused ${target.href}.`;
      console.warn(refusal);
      return Promise.reject(new Error(refusal.slice(7)));
    }
    const method = String(init.method || "GET").toUpperCase();
    const headers = new Headers(init.headers);
    if (!headers.has("Accept")) headers.set("Accept", "application/json");
    return send(target.href, init, method, headers);
  };
  const call = async (method, url, body, options = {}) => {
    const init = { ...options, method };
    const headers = new Headers(options.headers);
    if (body !== undefined) {
      const raw = typeof body === "string" || body instanceof Blob || body instanceof FormData;
      init.body = raw ? body : JSON.stringify(body);
      if (!raw && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
    }
    init.headers = headers;
    const response = await scopedFetch(url, init);
    if (!response.ok) {
      const error = new Error(`${method} ${url}: ${await errorMessageOf(response)}`);
      error.status = response.status;
      throw error;
    }
    if (response.status === 204) return null;
    const type = response.headers.get("Content-Type") || "";
    return type.includes("json") ? response.json() : response.text();
  };
  return {
    fetch: scopedFetch,
    get: (url, options) => call("GET", url, undefined, options),
    post: (url, body, options) => call("POST", url, body, options),
    put: (url, body, options) => call("PUT", url, body, options),
    patch: (url, body, options) => call("PATCH", url, body, options),
    delete: (url, options) => call("DELETE", url, undefined, options),
  };
}

function checkStorageKey(key) {
  if (typeof key !== "string" || !/^[A-Za-z0-9._-]{1,128}$/.test(key)) {
    throw new TypeError("A storage key is 1-128 letters, digits, '.', '_' or '-'.");
  }
  return key;
}

function remoteStorageFor(api) {
  const path = (key) => `storage/${encodeURIComponent(checkStorageKey(key))}`;
  return {
    /** The stored value, or null when nothing is stored under the key. */
    async get(key) {
      const response = await api.fetch(path(key));
      if (response.status === 404) {
        const body = await response.json().catch(() => ({}));
        const fields = body && body.error && body.error.details && body.error.details.fields;
        if (fields && "key" in fields) return null;
        throw new Error(`storage.get(${key}): ${body?.error?.message || "HTTP 404"}`);
      }
      if (!response.ok) throw new Error(`storage.get(${key}): ${await errorMessageOf(response)}`);
      return (await response.json()).data.value;
    },
    /** Store any JSON value (at most 64 KB); resolves to the value stored. */
    async set(key, value) {
      const response = await api.fetch(path(key), {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ value: value === undefined ? null : value }),
      });
      if (!response.ok) throw new Error(`storage.set(${key}): ${await errorMessageOf(response)}`);
      return (await response.json()).data.value;
    },
    /** Delete a key; resolves to false when nothing was stored under it. */
    async remove(key) {
      const response = await api.fetch(path(key), { method: "DELETE" });
      if (response.status === 404) return false;
      if (!response.ok) throw new Error(`storage.remove(${key}): ${await errorMessageOf(response)}`);
      return true;
    },
  };
}

function memoryStorage() {
  const values = new Map();
  return {
    async get(key) {
      checkStorageKey(key);
      return values.has(key) ? structuredClone(values.get(key)) : null;
    },
    async set(key, value) {
      checkStorageKey(key);
      values.set(key, structuredClone(value === undefined ? null : value));
      return value;
    },
    async remove(key) {
      checkStorageKey(key);
      return values.delete(key);
    },
  };
}

/** The person as plugins see them: the SDK's AuthUser (email and avatar are not shared). */
function personView(user) {
  const source = user || {};
  const authenticated = source.id !== undefined && source.id !== null;
  const displayName = String(source.displayName || source.username || (authenticated ? "" : "Guest"));
  const roles = authenticated ? [...new Set(["user", ...(source.roles || [])].map(String))] : [];
  return {
    id: authenticated ? String(source.id) : null,
    username: authenticated ? String(source.username || "") : "",
    email: null,
    displayName,
    avatarUrl: null,
    address: null,
    walletAddress: null,
    roles,
    isAuthenticated: authenticated,
    teams: authenticated ? (source.teams || []).map((team) => ({ ...team })) : [],
  };
}

/** What plugins may see of the person (their teams are in `team`). */
function publicPerson(person) {
  const { teams, ...shown } = person;
  return shown;
}

function authFor(person, permissions, disposers, trusted) {
  const user = frozenCopy({ ...publicPerson(person), permissions: permissions.getPermissions() });
  const authenticated = () => person.isAuthenticated && !signedOut;
  return {
    /** The signed-in person (a frozen AuthUser), or null for a guest or once signed out. */
    getUser: () => (authenticated() ? user : null),
    /** Resolves to this plugin's short-lived token (`Authorization: NaapPlugin <token>` on its
     * own API routes), renewed before it ends; rejects where there is none. */
    getToken: () => {
      const name = permissions.pluginName;
      return (trusted ? tokenFor(name) : Promise.resolve(null)).then((token) => {
        if (token) return token;
        throw new ShellServiceError(
          `${name} has no token here: previews and pages outside the shell run without your credentials.`,
          "NO_TOKEN",
        );
      });
    },
    hasRole: (role) => authenticated() && person.roles.includes(String(role)),
    hasPermission: (resource, action) => permissions.can(resource, action),
    isAuthenticated: authenticated,
    /** Called with null when the shell learns the session ended; returns an unsubscribe. */
    onAuthStateChange(callback) {
      if (typeof callback !== "function") throw new TypeError("The callback must be a function.");
      authListeners.add(callback);
      const stop = () => authListeners.delete(callback);
      disposers.push(stop);
      return stop;
    },
  };
}

function navigateFor(name, routes) {
  return (path) => {
    if (typeof path !== "string" || !path.startsWith("/") || path.startsWith("//")) {
      console.warn(`[naap] ${name}: navigate() takes a path such as "/plugins/${name}".`);
      return false;
    }
    const target = new URL(path, "https://shell.invalid");
    if (!shell.routesAllow(routes, target.pathname)) {
      console.warn(
        `[naap] ${name} may not navigate to ${path}: it is outside the plugin's routes ` +
          `(${routes.join(", ") || "none"}).`,
      );
      return false;
    }
    const full = target.pathname + target.search + target.hash;
    if (shell.runtime.onNavigate) shell.runtime.onNavigate(full);
    else window.history.pushState(null, "", shell.runtime.basePath + full);
    publish("shell:navigated", frozenCopy({ path: full, plugin: name }));
    emitAsShell("navigation:change", { path: full });
    return true;
  };
}

/**
 * Build the frozen context a plugin's `mount(container, context)` receives: the SDK's
 * ShellContext (see the module comment and docs/shell-runtime.md for every member) plus
 * `storage`, `config`, `user`, `pluginName`, `pluginVersion`, `shellVersion`, `pluginBasePath`.
 *
 * @param {object} manifest the plugin's production manifest
 * @param {object} [options]
 * @param {object} [options.user] overrides the page's user
 * @param {object} [options.config] the installation's config
 * @param {"remote"|"memory"} [options.storage] "memory" keeps values in the page only
 * @returns {Readonly<object>} the context, frozen all the way down
 *
 * A context made here holds no token and no installation: plugin code can import this module
 * and call it with any name. The plugin's token, and its installation (tenant, team, config
 * from the bootstrap), go only to the contexts the shell itself makes when it mounts the
 * plugins it booted with (`bindShell`'s `trustedContext`).
 */
export function createPluginContext(manifest, options = {}) {
  return buildContext(manifest, options, false);
}

function buildContext(manifest, options = {}, trusted = false) {
  if (!manifest || typeof manifest.name !== "string") {
    throw new shell.PluginLoadError("A plugin manifest with a name is required.", { kind: "manifest" });
  }
  const name = manifest.name;
  const disposers = [];
  const api = apiFor(name, trusted);
  const booted = trusted ? installations || [] : [];
  const person = personView(options.user || shell.runtime.user);
  const installation = booted.find((entry) => entry.name === name) || null;
  const installedThrough =
    installation && installation.teamId != null
      ? person.teams.find((entry) => String(entry.id) === String(installation.teamId))
      : null;
  const teamState = {};
  const notifications = notificationsFor(manifest);
  const busHooks = {
    sticky: (event) => (event === "team:change" ? teamState.now() : undefined),
    notify: (event, { type, message, id, duration }) => {
      if (event === "notification:dismiss") return notifications.dismiss(id);
      const level = ["success", "error", "info", "warning"].includes(type) ? type : "info";
      const show = notifications[level];
      show(message, { id, duration });
      return true;
    },
  };
  const told = (payload) => busHooks.deliver("team:change", payload);
  const team = teamFor(person, installation, told, teamState);
  const permissions = permissionsFor(manifest, {
    isAuthenticated: () => person.isAuthenticated && !signedOut,
    // Admin of the team the plugin is installed through: fixed at mount, whatever team the
    // plugin later switches its context to.
    isAdmin: () => person.roles.includes("staff") || installedThrough?.role === "admin",
  });
  const auth = authFor(person, { ...permissions, pluginName: name }, disposers, trusted);
  const context = deepFreeze({
    auth,
    user: frozenCopy(publicPerson(person)),
    navigate: navigateFor(name, [...(manifest.routes || [])]),
    eventBus: eventBusFor(name, disposers, busHooks),
    theme: themeFor(disposers),
    notifications,
    integrations: integrationsFor(),
    logger: loggerFor(name),
    permissions,
    tenant: tenantFor(name, person, api, () => booted),
    team,
    api,
    capabilities: capabilitiesFor(),
    version: shell.runtime.shellVersion,
    shellVersion: shell.runtime.shellVersion,
    pluginName: name,
    pluginVersion: String(manifest.version || ""),
    pluginBasePath: shell.basePathOf(manifest),
    config: structuredClone(options.config || {}),
    storage: options.storage === "memory" ? memoryStorage() : remoteStorageFor(api),
  });
  contextDisposers.set(context, disposers);
  return context;
}

/** Drop a context's event listeners, request handlers, theme and auth callbacks (unmount). */
export function disposeContext(context) {
  for (const dispose of contextDisposers.get(context) || []) dispose();
  contextDisposers.delete(context);
}
