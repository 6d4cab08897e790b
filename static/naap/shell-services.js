/**
 * The services of a plugin's context that need nothing from the server: notifications,
 * logger, permissions, integrations and capabilities (docs/shell-runtime.md,
 * "createPluginContext"). Imported by shell-context.js; no globals.
 *
 * @module naap/shell-services
 */

import { deepFreeze } from "./shell-events.js";

const NOTIFICATION_MS = { success: 5000, info: 5000, warning: 8000, error: 8000 };

/**
 * What a plugin calls that this shell does not have (AI, e-mail, file storage, installing
 * from a plugin): `code` is NOT_AVAILABLE, the message says what to do instead.
 */
export class ShellServiceError extends Error {
  constructor(message, code = "NOT_AVAILABLE") {
    super(message);
    this.name = "ShellServiceError";
    this.code = code;
  }
}

/** Refused by permissions.require(): `code` PERMISSION_DENIED, with resource and action. */
export class PermissionDeniedError extends Error {
  constructor(message, resource, action) {
    super(message);
    this.name = "PermissionDeniedError";
    this.code = "PERMISSION_DENIED";
    this.resource = resource;
    this.action = action;
  }
}

/** A new element with a class and text. */
export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function notificationArea() {
  let area = document.getElementById("naap-notifications");
  if (!area) {
    area = element("div", "naap-notifications");
    area.id = "naap-notifications";
    area.setAttribute("aria-live", "polite");
    document.body.append(area);
  }
  return area;
}

/**
 * One plugin's notifications (the SDK's INotificationService): toasts rendered by the shell as
 * text. `{duration}` in ms (0 keeps it until dismissed), `{id}` replaces that plugin's toast
 * with the same id, `{action: {label, onClick}}` adds a button. `dismiss(id)` and
 * `dismissAll()` reach only the calling plugin's own toasts.
 */
export function notificationsFor(manifest) {
  const source = manifest.displayName || manifest.name;
  const own = new Map(); // id -> {toast, timer}
  let counter = 0;
  const dismiss = (id) => {
    const shown = own.get(String(id));
    if (!shown) return false;
    clearTimeout(shown.timer);
    shown.toast.remove();
    own.delete(String(id));
    return true;
  };
  const show = (level) => (message, options = {}) => {
    const id = options.id === undefined ? `${manifest.name}-${++counter}` : String(options.id);
    dismiss(id);
    const toast = element("div", `naap-toast naap-toast--${level}`);
    toast.setAttribute("role", level === "error" ? "alert" : "status");
    toast.dataset.plugin = source;
    toast.dataset.id = id;
    toast.append(element("strong", "naap-toast__source", source), " ");
    toast.append(element("span", "naap-toast__message", String(message)));
    const action = options.action;
    if (action && typeof action.onClick === "function") {
      const button = element("button", "naap-toast__action", String(action.label || "OK"));
      button.type = "button";
      button.addEventListener("click", () => {
        dismiss(id);
        try {
          action.onClick();
        } catch (error) {
          console.error(`[naap] ${manifest.name}'s notification action threw:`, error);
        }
      });
      toast.append(button);
    }
    const close = element("button", "naap-toast__close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss");
    close.addEventListener("click", () => dismiss(id));
    toast.append(close);
    notificationArea().append(toast);
    const given = options.duration === undefined ? NOTIFICATION_MS[level] : Number(options.duration);
    const duration = Number.isFinite(given) && given >= 0 ? given : NOTIFICATION_MS[level];
    const timer = duration > 0 ? setTimeout(() => dismiss(id), duration) : null;
    own.set(id, { toast, timer });
    return id;
  };
  return {
    success: show("success"),
    error: show("error"),
    info: show("info"),
    warning: show("warning"),
    /** Remove this plugin's toast with that id; false when there is none. */
    dismiss,
    /** Remove every toast of this plugin (other plugins' stay). */
    dismissAll() {
      for (const id of [...own.keys()]) dismiss(id);
    },
  };
}

/**
 * A plugin's logger (the SDK's ILoggerService): console lines prefixed `[plugin <name>]`,
 * `error(message, error?, meta?)`, and `child(meta)` whose lines carry that meta too.
 */
export function loggerFor(name, meta = {}) {
  const prefix = `[plugin ${name}]`;
  const extra = Object.keys(meta).length ? [meta] : [];
  const line = (method) => (message, ...rest) => console[method](prefix, message, ...rest, ...extra);
  return {
    debug: line("debug"),
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
    /** A logger whose lines also carry `more` (merged over this one's meta). */
    child(more) {
      return deepFreeze(loggerFor(name, { ...meta, ...(more || {}) }));
    },
  };
}

/** The manifest's `permissions` as {resource, action} pairs: `{"shell": ["notifications"]}`
 * is shell/notifications, an item "user:read" is user/read. */
export function declaredPermissions(manifest) {
  const declared = [];
  for (const [group, items] of Object.entries(manifest.permissions || {})) {
    if (!Array.isArray(items)) continue;
    for (const item of items) {
      const text = String(item);
      const split = text.indexOf(":");
      declared.push(
        split > 0
          ? { resource: text.slice(0, split), action: text.slice(split + 1) }
          : { resource: group, action: text },
      );
    }
  }
  return declared;
}

/**
 * A plugin's permissions (the SDK's IPermissionService): what its manifest declares, as far as
 * the person's role allows: nothing for a guest; `admin` actions only for staff or an admin of
 * the team the plugin is installed through; the rest for any signed-in person.
 *
 * @param {object} manifest
 * @param {{isAuthenticated: function(): boolean, isAdmin: function(): boolean}} person
 */
export function permissionsFor(manifest, person) {
  const declared = declaredPermissions(manifest);
  const allowed = (permission) => {
    if (!person.isAuthenticated()) return false;
    if (permission.action === "admin" || permission.action === "*") return person.isAdmin();
    return true;
  };
  const matches = (permission, resource, action) =>
    (permission.resource === resource || permission.resource === "*") &&
    (permission.action === action || permission.action === "*");
  const service = {
    /** Does this plugin hold `action` on `resource` for this person? */
    can(resource, action) {
      return declared.some((permission) => matches(permission, resource, action) && allowed(permission));
    },
    /** Every {resource, action} this plugin holds for this person (copies). */
    getPermissions() {
      return declared.filter(allowed).map((permission) => Object.freeze({ ...permission }));
    },
    /** Throw a PermissionDeniedError unless can(resource, action). */
    require(resource, action) {
      if (service.can(resource, action)) return;
      const why = declared.some((permission) => matches(permission, resource, action))
        ? "your role does not allow it"
        : "its manifest does not declare it";
      throw new PermissionDeniedError(
        `${manifest.name} may not ${action} ${resource}: ${why}.`,
        resource,
        action,
      );
    },
  };
  return service;
}

function unavailable(what, instead) {
  return () => Promise.reject(new ShellServiceError(`This shell has no ${what}. ${instead}`));
}

/**
 * The SDK's IIntegrationService: this marketplace's shell offers no AI, e-mail or file-storage
 * integration, so each reports not configured and each call rejects with a ShellServiceError
 * (NOT_AVAILABLE). A plugin's key-value store is `context.storage`.
 */
export function integrationsFor() {
  const none = (kind, instead, methods) => {
    const service = { isConfigured: () => false };
    for (const method of methods) service[method] = unavailable(`${kind} integration (${method})`, instead);
    return service;
  };
  return {
    ai: none("AI", "Call your own backend for AI features.", ["complete", "chat", "embed", "getModels"]),
    storage: none(
      "file-storage",
      "Keep small JSON values with context.storage; files belong on your own backend.",
      ["upload", "download", "getSignedUrl", "delete", "list"],
    ),
    email: none("e-mail", "Send mail from your own backend.", ["send", "sendTemplate"]),
    isConfigured: () => false,
    getAvailable: () => ["ai", "storage", "email"].map((type) => ({ type, configured: false })),
  };
}

// What this shell has, truthfully (the SDK's ShellCapability names, plus our own).
const CAPABILITIES = {
  notifications: { available: true, configured: true, provider: "naap-shell" },
  teams: { available: true, configured: true, provider: "naap-marketplace" },
  tenants: { available: true, configured: true, provider: "naap-marketplace" },
  "plugin-storage": { available: true, configured: true, provider: "naap-marketplace" },
  ai: { available: false, configured: false },
  storage: { available: false, configured: false },
  email: { available: false, configured: false },
  payments: { available: false, configured: false },
  websocket: { available: false, configured: false },
  analytics: { available: false, configured: false },
  search: { available: false, configured: false },
};

/** The SDK's ICapabilityService, answered from CAPABILITIES (unknown ones: not available). */
export function capabilitiesFor() {
  const info = (capability) => ({ ...(CAPABILITIES[capability] || { available: false, configured: false }) });
  const has = (capability) => info(capability).configured === true;
  return {
    has,
    info,
    getAll: () => Object.fromEntries(Object.keys(CAPABILITIES).map((key) => [key, info(key)])),
    hasAll: (capabilities) => Array.isArray(capabilities) && capabilities.every(has),
    hasAny: (capabilities) => Array.isArray(capabilities) && capabilities.some(has),
  };
}
