// Small progressive enhancements. Every page works without this file.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  // The language switcher submits when a language is picked with the pointer.
  // From the keyboard, arrows only choose and the Go button switches: a page
  // must not change while someone arrows through a list (WCAG 3.2.2).
  document.querySelectorAll(".language-switcher select").forEach((select) => {
    let byKeyboard = false;
    select.addEventListener("keydown", () => { byKeyboard = true; });
    select.addEventListener("pointerdown", () => { byKeyboard = false; });
    select.addEventListener("change", () => { if (!byKeyboard) select.form.submit(); });
  });
  // Escape closes an open disclosure (<details>: report forms, replies) and
  // puts focus back on its summary, as it would close a menu or a dialog.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !(event.target instanceof Element)) return;
    const details = event.target.closest("details[open]");
    if (!details) return;
    details.open = false;
    const summary = details.querySelector(":scope > summary");
    if (summary) summary.focus();
  });
  // htmx requests carry the CSRF token from the cookie.
  document.body.addEventListener("htmx:configRequest", (event) => {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (match) event.detail.headers["X-CSRFToken"] = decodeURIComponent(match[1]);
  });
});
