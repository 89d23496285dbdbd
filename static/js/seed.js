// Small progressive enhancements. Every page works without this file.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  // The language switcher submits on change; the button stays for keyboard and no-JS users.
  document.querySelectorAll(".language-switcher select").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  // htmx requests carry the CSRF token from the cookie.
  document.body.addEventListener("htmx:configRequest", (event) => {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (match) event.detail.headers["X-CSRFToken"] = decodeURIComponent(match[1]);
  });
});
