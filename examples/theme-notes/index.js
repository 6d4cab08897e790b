/*
 * Theme Notes: plain JavaScript plus a stylesheet (frontend.styles), no build step.
 *
 * Notes are kept under one key of the plugin's own storage (context.storage, per user) when the
 * shell provides it, and in memory otherwise. The widget takes the shell's theme mode.
 */
window.NaapPluginThemeNotes = (function () {
  "use strict";

  var STORAGE_KEY = "notes";

  function memoryStorage() {
    var values = {};
    return {
      get: function (key) { return key in values ? values[key] : null; },
      set: function (key, value) { values[key] = value; }
    };
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function mount(container, context) {
    var storage = (context && context.storage) || memoryStorage();
    var mode = (context && context.theme && context.theme.mode) === "dark" ? "dark" : "light";
    var notes = [];
    var root = element("section", "theme-notes theme-notes--" + mode);
    var form = element("form", "theme-notes__form");
    var input = element("input", "theme-notes__input");
    var add = element("button", "theme-notes__add", "Add");
    var list = element("ul", "theme-notes__list");

    input.placeholder = "Write a note";
    input.maxLength = 200;
    add.type = "submit";

    function save() {
      // The shell's storage answers with a promise; a failed save only costs this session.
      Promise.resolve(storage.set(STORAGE_KEY, notes)).catch(function () {});
    }

    function render() {
      list.textContent = "";
      if (notes.length === 0) list.appendChild(element("li", "theme-notes__empty", "No notes yet."));
      notes.forEach(function (note, index) {
        var item = element("li", "theme-notes__note", note);
        var remove = element("button", "theme-notes__remove", "×");
        remove.type = "button";
        remove.title = "Delete this note";
        remove.addEventListener("click", function () {
          notes.splice(index, 1);
          save();
          render();
        });
        item.appendChild(remove);
        list.appendChild(item);
      });
    }

    function onSubmit(event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      notes.unshift(text);
      input.value = "";
      save();
      render();
    }

    form.addEventListener("submit", onSubmit);
    form.appendChild(input);
    form.appendChild(add);
    root.appendChild(element("h2", "theme-notes__title", "Notes"));
    root.appendChild(form);
    root.appendChild(list);
    container.appendChild(root);
    render();

    Promise.resolve(storage.get(STORAGE_KEY)).then(function (stored) {
      var value = stored && stored.value !== undefined && !Array.isArray(stored) ? stored.value : stored;
      if (Array.isArray(value)) {
        notes = value.filter(function (note) { return typeof note === "string"; });
        render();
      }
    }, function () {});

    return function unmount() {
      form.removeEventListener("submit", onSubmit);
      if (root.parentNode) root.parentNode.removeChild(root);
    };
  }

  return { mount: mount };
})();
