/*
 * Hello World: a NaaP plugin with no build step.
 *
 * The shell loads this file with a <script> tag, reads window.NaapPluginHelloWorld and calls
 * mount(container, context). Whatever mount returns is called when the plugin is unmounted.
 */
window.NaapPluginHelloWorld = (function () {
  "use strict";

  function displayName(user) {
    if (!user) return "there";
    return user.displayName || user.name || user.username || "there";
  }

  function mount(container, context) {
    var section = document.createElement("section");
    var heading = document.createElement("h2");
    var paragraph = document.createElement("p");
    var button = document.createElement("button");

    heading.textContent = "Hello, " + displayName(context && context.user) + "!";
    paragraph.textContent = "This page is a NaaP plugin, loaded from the marketplace's CDN.";
    button.type = "button";
    button.textContent = "Say hello back";

    function onClick() {
      var notifications = context && context.notifications;
      if (notifications && typeof notifications.success === "function") {
        notifications.success("Hello from the Hello World plugin.");
      }
    }

    button.addEventListener("click", onClick);
    section.appendChild(heading);
    section.appendChild(paragraph);
    section.appendChild(button);
    container.appendChild(section);

    return function unmount() {
      button.removeEventListener("click", onClick);
      if (section.parentNode) section.parentNode.removeChild(section);
    };
  }

  return { mount: mount };
})();
