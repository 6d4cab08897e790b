/**
 * The shell's event bus and theme, shared by every plugin of a page (docs/shell-runtime.md,
 * "createPluginContext"): events with upstream NaaP's global names (`dashboard:query`), the
 * sender's plugin name on every delivery, request/response between plugins, and the theme
 * plugins read and may switch. Imported by shell-context.js; no window globals (setTheme
 * marks <html> with the mode).
 *
 * @module naap/shell-events
 */

// Namespaces only the shell sends on: upstream's shell events (`theme:change`, `auth:logout`,
// `navigation:change`, `team:change`…) and our `shell:` channel. Plugins listen, never send.
const SHELL_NAMESPACES = ["shell:", "auth:", "theme:", "navigation:", "notification:", "tenant:", "team:"];
const DEFAULT_REQUEST = { timeout: 5000, retries: 0, retryDelay: 1000 };
export const SHELL_SENDER = "shell";

const THEMES = Object.freeze({
  light: Object.freeze({
    primary: "#1f5fbf", secondary: "#4a5668", accent: "#1f5fbf", background: "#ffffff",
    text: "#16202c", error: "#b3261e", warning: "#8a5300", success: "#1b6e3a", info: "#1f5fbf",
    surface: "#f4f6f9", muted: "#4a5668", border: "#d5dbe3", accentText: "#ffffff",
    danger: "#b3261e",
  }),
  dark: Object.freeze({
    primary: "#7fb0ff", secondary: "#a3aebd", accent: "#7fb0ff", background: "#151a21",
    text: "#e8edf3", error: "#ff8a80", warning: "#f2c94c", success: "#6fcf97", info: "#7fb0ff",
    surface: "#1e252f", muted: "#a3aebd", border: "#344051", accentText: "#0b1320",
    danger: "#ff8a80",
  }),
});

const listeners = new Map(); // event name -> Set of handlers
const requestHandlers = new Map(); // event name -> {plugin, handler}
const themeListeners = new Set(); // handlers of theme.onChange, called with the mode
let theme = Object.freeze({ mode: "light", colors: THEMES.light });

/** Freeze an object and everything it holds. */
export function deepFreeze(value) {
  if (value && (typeof value === "object" || typeof value === "function")) {
    if (Object.isFrozen(value)) return value;
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor && "value" in descriptor) deepFreeze(descriptor.value);
    }
  }
  return value;
}

/** A frozen deep copy: what one plugin hands another can't be changed under it. */
export function frozenCopy(value) {
  if (value === undefined) return undefined;
  return deepFreeze(structuredClone(value));
}

/** The message of an error, or the thrown value as text. */
export function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Why `eventBus.request` failed, as the SDK's EventRequestError: `code` is TIMEOUT (no answer
 * in time), NO_HANDLER (no plugin answers that event) or HANDLER_ERROR (the handler threw, or
 * its answer could not be copied); `event` is the event asked.
 */
export class EventRequestError extends Error {
  constructor(message, event, code, cause) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "EventRequestError";
    this.event = event;
    this.code = code;
  }
}

/**
 * Deliver an event to its listeners: `handler(payload, {event, sender})`, the payload a frozen
 * copy shared by all of them, `sender` the sending plugin's name or "shell".
 */
export function publish(event, payload, sender = SHELL_SENDER) {
  const handlers = listeners.get(event);
  if (!handlers) return;
  const meta = Object.freeze({ event, sender });
  for (const handler of [...handlers]) {
    try {
      handler(payload, meta);
    } catch (error) {
      console.error(`[naap] a handler of ${event} threw:`, error);
    }
  }
}

function subscribe(event, handler, disposers) {
  if (typeof handler !== "function") throw new TypeError("The handler must be a function.");
  if (!listeners.has(event)) listeners.set(event, new Set());
  listeners.get(event).add(handler);
  const unsubscribe = () => {
    const handlers = listeners.get(event);
    if (!handlers) return;
    handlers.delete(handler);
    if (handlers.size === 0) listeners.delete(event);
  };
  disposers.push(unsubscribe);
  return unsubscribe;
}

/**
 * Send an event on the shell's channel (`shell:…`), which plugins may listen to but not send
 * on. For the shell page's own code.
 *
 * @param {string} name the event name without the "shell:" prefix
 * @param {*} [payload] structured-cloneable data, delivered frozen
 */
export function emitShellEvent(name, payload) {
  publish(`shell:${name}`, frozenCopy(payload));
}

/** Send an event in one of the shell's namespaces (`auth:logout`, `theme:change`…). */
export function emitAsShell(event, payload) {
  publish(event, frozenCopy(payload));
}

/** Is `event` (a full name) one a plugin may send, and answer requests on? */
function mayEmit(name, event) {
  if (event.startsWith("plugin:")) return event.startsWith(`plugin:${name}:`);
  return !SHELL_NAMESPACES.some((namespace) => event.startsWith(namespace));
}

/** Resolve after `ms` milliseconds. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function requestOptions(options) {
  const given = options || {};
  const number = (key, minimum) => {
    const value = given[key] === undefined ? DEFAULT_REQUEST[key] : Number(given[key]);
    if (!Number.isFinite(value) || value < minimum) {
      throw new TypeError(`eventBus.request: ${key} must be a number ≥ ${minimum}.`);
    }
    return value;
  };
  return { timeout: number("timeout", 1), retries: Math.floor(number("retries", 0)), retryDelay: number("retryDelay", 0) };
}

function askOnce(full, event, payload, meta, timeout) {
  const entry = requestHandlers.get(full);
  if (!entry) {
    return Promise.reject(new EventRequestError(`No plugin answers "${event}".`, event, "NO_HANDLER"));
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new EventRequestError(`${entry.plugin} did not answer "${event}" within ${timeout} ms.`, event, "TIMEOUT"));
    }, timeout);
    Promise.resolve()
      .then(() => entry.handler(payload, meta))
      .then(
        (answer) => {
          clearTimeout(timer);
          try {
            resolve(structuredClone(answer)); // the requester's own copy
          } catch (error) {
            const text = `${entry.plugin}'s answer to "${event}" could not be copied: ${messageOf(error)}`;
            reject(new EventRequestError(text, event, "HANDLER_ERROR", error));
          }
        },
        (error) => {
          clearTimeout(timer);
          const text = `${entry.plugin} failed to answer "${event}": ${messageOf(error)}`;
          reject(new EventRequestError(text, event, "HANDLER_ERROR", error));
        },
      );
  });
}

/**
 * One plugin's event bus (the SDK's IEventBus). Names with a namespace (`dashboard:query`,
 * `plugin:x:saved`, `shell:navigated`) are global; a bare name (`saved`) is the plugin's own,
 * `plugin:<name>:saved`. A plugin sends on, and answers requests on, any global name except
 * the shell's namespaces and other plugins' `plugin:<other>:` names; it listens to anything.
 * Handlers are called with `(payload, {event, sender})`.
 *
 * @param {string} name the plugin's name (the sender of what it sends)
 * @param {Function[]} disposers where undoing each subscription is recorded (for unmount)
 * @param {{sticky?: function(string): *, notify?: function(string, object): boolean}} [hooks]
 *   `sticky(event)`: the shell's current state of an event for this plugin (e.g. its
 *   `team:change`), handed to each new listener; `notify(event, payload)` shows or dismisses
 *   this plugin's toast for `notification:show`/`notification:dismiss`; the function fills in
 *   `hooks.deliver(event, payload)`, which tells this plugin's listeners only
 */
export function eventBusFor(name, disposers, hooks = {}) {
  const qualified = (event) => {
    if (typeof event !== "string" || !event) throw new TypeError("An event name is required.");
    return event.includes(":") ? event : `plugin:${name}:${event}`;
  };
  const onceWrappers = new Map(); // handler -> its once wrapper, so off() finds it
  const own = new Map(); // event -> this plugin's handlers (for hooks.deliver)
  const listen = (full, handler) => {
    const stop = subscribe(full, handler, disposers);
    if (!own.has(full)) own.set(full, new Set());
    own.get(full).add(handler);
    const state = hooks.sticky ? hooks.sticky(full) : undefined;
    if (state !== undefined) {
      const meta = Object.freeze({ event: full, sender: SHELL_SENDER });
      queueMicrotask(() => {
        if (listeners.get(full)?.has(handler)) handler(frozenCopy(state), meta);
      });
    }
    return () => {
      stop();
      own.get(full)?.delete(handler);
    };
  };
  hooks.deliver = (event, payload) => {
    const meta = Object.freeze({ event, sender: SHELL_SENDER });
    for (const handler of [...(own.get(event) || [])]) {
      if (!listeners.get(event)?.has(handler)) continue;
      try {
        handler(frozenCopy(payload), meta);
      } catch (error) {
        console.error(`[naap] a handler of ${event} threw:`, error);
      }
    }
  };
  const refuse = (verb, full) => {
    console.warn(`[naap] ${name} may not ${verb} "${full}": it belongs to the shell or another plugin.`);
  };
  return {
    /** Send an event; false (with a warning) when the name belongs to the shell or another
     * plugin. `notification:show` / `notification:dismiss` (upstream's way to ask the shell
     * for a toast) are this plugin's notifications: `{type, message, id, duration}`, `{id}`. */
    emit(event, payload) {
      const full = qualified(event);
      if (hooks.notify && (full === "notification:show" || full === "notification:dismiss")) {
        return hooks.notify(full, payload || {});
      }
      if (!mayEmit(name, full)) {
        refuse("send", full);
        return false;
      }
      publish(full, frozenCopy(payload), name);
      return true;
    },
    /** Listen to an event; returns a function that stops listening. */
    on(event, handler) {
      if (typeof handler !== "function") throw new TypeError("The handler must be a function.");
      return listen(qualified(event), handler);
    },
    /** Stop a handler given to on() or once(). */
    off(event, handler) {
      const handlers = listeners.get(qualified(event));
      if (!handlers) return;
      handlers.delete(handler);
      if (onceWrappers.has(handler)) handlers.delete(onceWrappers.get(handler));
    },
    /** Listen to the next delivery of an event only; returns a function that cancels it. */
    once(event, handler) {
      if (typeof handler !== "function") throw new TypeError("The handler must be a function.");
      let stop = null;
      const wrapper = (payload, meta) => {
        stop();
        onceWrappers.delete(handler);
        handler(payload, meta);
      };
      onceWrappers.set(handler, wrapper);
      stop = listen(qualified(event), wrapper);
      return () => {
        stop();
        onceWrappers.delete(handler);
      };
    },
    /**
     * Ask the plugin that handles `event` and resolve to its answer (a copy). Rejects with an
     * EventRequestError: NO_HANDLER, TIMEOUT (after `timeout` ms, default 5000) or
     * HANDLER_ERROR. NO_HANDLER and TIMEOUT are tried again `retries` times (default 0)
     * after `retryDelay` ms (default 1000), so a provider that mounts later is still found.
     */
    async request(event, data, options) {
      const full = qualified(event);
      const { timeout, retries, retryDelay } = requestOptions(options);
      const payload = frozenCopy(data);
      const meta = Object.freeze({ event: full, sender: name });
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await askOnce(full, event, payload, meta, timeout);
        } catch (error) {
          if (error.code === "HANDLER_ERROR" || attempt >= retries) throw error;
          await sleep(retryDelay);
        }
      }
    },
    /**
     * Answer requests on `event` with `handler(data, {event, sender})` (its value or promise).
     * One plugin answers an event: taken by another plugin, it throws. Returns a function
     * that stops answering; unmounting the plugin does too.
     */
    handleRequest(event, handler) {
      const full = qualified(event);
      if (typeof handler !== "function") throw new TypeError("The handler must be a function.");
      if (!mayEmit(name, full)) {
        refuse("answer", full);
        throw new Error(`${name} may not answer "${full}": it belongs to the shell or another plugin.`);
      }
      const current = requestHandlers.get(full);
      if (current && current.plugin !== name) {
        throw new Error(`${name} cannot answer "${full}": ${current.plugin} already does.`);
      }
      const entry = { plugin: name, handler };
      requestHandlers.set(full, entry);
      const stop = () => {
        if (requestHandlers.get(full) === entry) requestHandlers.delete(full);
      };
      disposers.push(stop);
      return stop;
    },
  };
}

/** The current theme: `{mode, colors}`, frozen. */
export function currentTheme() {
  return theme;
}

/**
 * Switch the theme: plugins' `theme.onChange` handlers get the mode, `shell:theme-changed`
 * listeners `{mode, colors}` and `theme:change` listeners `{mode}`. Sets `data-naap-theme` on
 * <html> for the shell's own stylesheet, and the class `dark` in dark mode for plugins' own.
 *
 * @param {"light"|"dark"} mode
 * @param {object} [colors] overrides of the mode's colours
 */
export function setTheme(mode, colors = {}) {
  const base = mode === "dark" ? THEMES.dark : THEMES.light;
  theme = Object.freeze({
    mode: mode === "dark" ? "dark" : "light",
    colors: Object.freeze({ ...base, ...colors }),
  });
  document.documentElement.dataset.naapTheme = theme.mode;
  // NaaP's shell marks dark mode with the `dark` class, which Tailwind's dark: variants read.
  document.documentElement.classList.toggle("dark", theme.mode === "dark");
  for (const handler of [...themeListeners]) {
    try {
      handler(theme.mode);
    } catch (error) {
      console.error("[naap] a theme handler threw:", error);
    }
  }
  publish("shell:theme-changed", theme);
  emitAsShell("theme:change", { mode: theme.mode });
}

/** One plugin's theme (the SDK's IThemeService): read, switch, and follow the shell's theme. */
export function themeFor(disposers) {
  const checked = (mode) => {
    if (mode !== "light" && mode !== "dark") {
      throw new TypeError(`theme.setMode takes "light" or "dark", not ${JSON.stringify(mode)}.`);
    }
    return mode;
  };
  return {
    get mode() {
      return theme.mode;
    },
    get colors() {
      return theme.colors;
    },
    /** Switch between light and dark for the whole shell. */
    toggle() {
      setTheme(theme.mode === "dark" ? "light" : "dark");
    },
    /** Set the shell's mode ("light" or "dark"). */
    setMode(mode) {
      setTheme(checked(mode));
    },
    /** Call handler(mode) on every change; returns a function that stops it. */
    onChange(handler) {
      if (typeof handler !== "function") throw new TypeError("The handler must be a function.");
      themeListeners.add(handler);
      const stop = () => themeListeners.delete(handler);
      disposers.push(stop);
      return stop;
    },
  };
}
