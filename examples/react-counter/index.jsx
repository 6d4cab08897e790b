// React Counter: a React plugin built by `naap-plugin build`.
//
// "react" and "react-dom/client" are not installed: the build maps them to the shell's global
// React and ReactDOM, so the bundle holds only this file's code (a few hundred bytes).
import React, { useState } from "react";
import { createRoot } from "react-dom/client";
import "./counter.css";

function Counter({ user, notifications }) {
  const [count, setCount] = useState(0);
  const name = (user && (user.displayName || user.name)) || "you";

  function reset() {
    setCount(0);
    if (notifications && notifications.info) notifications.info("Counter reset.");
  }

  return (
    <section className="react-counter">
      <h2 className="react-counter__title">Clicks by {name}</h2>
      <output className="react-counter__value" aria-live="polite">
        {count}
      </output>
      <div className="react-counter__buttons">
        <button type="button" onClick={() => setCount((value) => value - 1)}>
          −1
        </button>
        <button type="button" onClick={() => setCount((value) => value + 1)}>
          +1
        </button>
        <button type="button" onClick={reset} disabled={count === 0}>
          Reset
        </button>
      </div>
    </section>
  );
}

export function mount(container, context) {
  const root = createRoot(container);
  root.render(<Counter user={context.user} notifications={context.notifications} />);
  return () => root.unmount();
}
