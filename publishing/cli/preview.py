"""dist/index.html: a standalone page that mounts the built plugin with a stub shell context.

Open it from the file system; it needs no server. It stands in for the shell only as far as
a plugin can tell: a read-only user, navigate, notifications, an event bus, a theme, storage
kept in localStorage and an `api` that refuses politely.
"""

from __future__ import annotations

import html
import json
from typing import Any

# React 18 is the last React with browser (UMD) builds, which is what the shell exposes. The
# preview loads them from dist/vendor/, copied from the plugin's node_modules by `build`:
# nothing is fetched from a public CDN.
REACT_UMD_FILES = {
    "react/umd/react.production.min.js": "vendor/react.production.min.js",
    "react-dom/umd/react-dom.production.min.js": "vendor/react-dom.production.min.js",
}

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__ · NaaP plugin preview</title>
__STYLESHEET__<style>
  body { margin: 0; font: 15px/1.5 system-ui, sans-serif; background: #f6f7f9; color: #1c1f24; }
  .naap-preview-bar { padding: 8px 16px; background: #1c1f24; color: #fff; font-size: 13px; }
  .naap-preview-bar code { color: #9fd3ff; }
  #naap-plugin-root { margin: 16px; padding: 16px; background: #fff; border-radius: 8px;
    min-height: 200px; box-shadow: 0 1px 3px rgba(0, 0, 0, 0.12); }
  #naap-preview-log { margin: 16px; font: 12px/1.4 ui-monospace, monospace; color: #555;
    white-space: pre-wrap; }
</style>
</head>
<body>
<div class="naap-preview-bar">Preview of <code>__TITLE__</code>, global
  <code>__GLOBAL__</code>. The shell is stubbed: calls are logged below.</div>
<main id="naap-plugin-root"></main>
<pre id="naap-preview-log"></pre>
__REACT__<script src="__BUNDLE__"></script>
<script>
(function () {
  "use strict";
  var manifest = __MANIFEST__;
  var logBox = document.getElementById("naap-preview-log");
  function log() {
    var parts = Array.prototype.map.call(arguments, function (part) {
      return typeof part === "string" ? part : JSON.stringify(part);
    });
    logBox.textContent += parts.join(" ") + "\\n";
  }
  var listeners = {};
  var prefix = "plugin:" + manifest.name + ":";
  var storageKey = "naap-preview:" + manifest.name + ":";
  var memory = {};
  function stored(key) {
    try { return window.localStorage.getItem(storageKey + key); } catch (error) {
      return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null;
    }
  }
  function store(key, text) {
    try {
      if (text === null) window.localStorage.removeItem(storageKey + key);
      else window.localStorage.setItem(storageKey + key, text);
    } catch (error) {
      if (text === null) delete memory[key]; else memory[key] = text;
    }
  }
  var context = {
    pluginName: manifest.name,
    user: Object.freeze({ id: "preview-user", name: "Preview User",
      displayName: "Preview User", email: "preview@example.test" }),
    theme: Object.freeze({ mode: window.matchMedia &&
      window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light" }),
    navigate: function (path) { log("navigate", path); },
    notifications: {
      success: function (message) { log("notify success:", message); },
      info: function (message) { log("notify info:", message); },
      warning: function (message) { log("notify warning:", message); },
      error: function (message) { log("notify error:", message); }
    },
    events: {
      emit: function (name, payload) {
        log("event", prefix + name, payload === undefined ? "" : payload);
        (listeners[prefix + name] || []).slice().forEach(function (fn) { fn(payload); });
      },
      on: function (name, fn) {
        var key = prefix + name;
        (listeners[key] = listeners[key] || []).push(fn);
        return function () { context.events.off(name, fn); };
      },
      off: function (name, fn) {
        var key = prefix + name;
        listeners[key] = (listeners[key] || []).filter(function (other) { return other !== fn; });
      }
    },
    storage: {
      get: function (key) {
        var text = stored(key);
        return Promise.resolve(text === null ? null : JSON.parse(text));
      },
      set: function (key, value) {
        store(key, JSON.stringify(value));
        return Promise.resolve({ key: key, value: value });
      },
      remove: function (key) { store(key, null); return Promise.resolve(); }
    },
    api: {
      fetch: function (path) {
        log("api.fetch", path);
        return Promise.reject(new Error("The preview has no registry API."));
      }
    }
  };
  context.storage["delete"] = context.storage.remove;
  context.notify = context.notifications.info;
  var root = document.getElementById("naap-plugin-root");
  var plugin = window[manifest.globalName];
  if (!plugin || typeof plugin.mount !== "function") {
    root.textContent = "The bundle did not define " + manifest.globalName + ".mount.";
    return;
  }
  Promise.resolve(plugin.mount(root, context)).then(function (cleanup) {
    window.naapPreviewUnmount = function () {
      if (typeof cleanup === "function") cleanup();
      else if (typeof plugin.unmount === "function") plugin.unmount(root);
    };
    log("mounted " + manifest.name + "@" + manifest.version +
      " (call naapPreviewUnmount() to unmount)");
  }, function (error) {
    root.textContent = "mount failed: " + error;
  });
})();
</script>
</body>
</html>
"""


# The shell gives React the automatic JSX runtime, as NaaP's shell does (bundles built by
# NaaP's vite tooling map react/jsx-runtime to the global React); React 18's UMD build has
# none. The same rule as addJsxRuntime in static/naap/shell.js.
_JSX_RUNTIME = """<script>
(function (React) {
  if (!React || typeof React.jsx === "function") return;
  function jsx(type, props, key) {
    var keep = key === undefined || (props != null && props.key !== undefined);
    return React.createElement(type, keep ? props : Object.assign({}, props, { key: key }));
  }
  React.jsx = jsx;
  React.jsxs = jsx;
  React.jsxDEV = jsx;
})(window.React);
</script>
"""


def _script_json(value: Any) -> str:
    """JSON safe to embed in a <script> element."""
    return (
        json.dumps(value, indent=2)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def preview_html(manifest: dict[str, Any], *, needs_react: bool) -> str:
    """The preview page for a production manifest whose URLs are relative to dist/."""
    title = f"{manifest.get('displayName') or manifest['name']} {manifest['version']}"
    stylesheet = ""
    if manifest.get("stylesUrl"):
        stylesheet = f'<link rel="stylesheet" href="{html.escape(manifest["stylesUrl"])}">\n'
    react = ""
    if needs_react:
        react = "<!-- The shell provides React; the preview loads React 18 from vendor/. -->\n"
        react += "".join(
            f'<script src="{source}"></script>\n' for source in REACT_UMD_FILES.values()
        )
        react += _JSX_RUNTIME
    replacements = {
        "__TITLE__": html.escape(title),
        "__GLOBAL__": html.escape(manifest["globalName"]),
        "__STYLESHEET__": stylesheet,
        "__REACT__": react,
        "__BUNDLE__": html.escape(manifest["bundleUrl"]),
        "__MANIFEST__": _script_json(manifest),
    }
    page = _PAGE
    for placeholder, value in replacements.items():
        page = page.replace(placeholder, value)
    return page
