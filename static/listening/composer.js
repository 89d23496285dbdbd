/*
 * The webcare reply composer (templates/listening/inbox/reply_composer.html).
 *
 * - a live character count against the network's limit;
 * - suggestion buttons that insert their text at the cursor;
 * - "Copy text and open the post": copies the reply, then the link opens the
 *   post in a new tab as links do;
 * - one submit per form: a second click while the first is on its way is
 *   ignored (the server refuses a reused form token as well).
 *
 * No inline script (CSP): everything hangs on data- attributes. Several
 * composers may share a page, and this file may be included more than once.
 */
(function () {
  "use strict";

  function length(text) {
    // Code points, not UTF-16 units: an emoji counts once, as networks do.
    return Array.from(text).length;
  }

  function updateCount(composer) {
    var textarea = composer.querySelector("[data-reply-text]");
    var counter = composer.querySelector("[data-reply-count]");
    if (!textarea || !counter) return;
    var limit = parseInt(textarea.getAttribute("data-limit"), 10) || 0;
    var count = length(textarea.value);
    var over = limit > 0 && count > limit;
    var template = counter.getAttribute(over ? "data-over-template" : "data-template");
    if (template) counter.textContent = template.replace("__COUNT__", String(count));
    counter.classList.toggle("error-message", over);
    textarea.setAttribute("aria-invalid", over ? "true" : "false");
  }

  function insert(textarea, text) {
    var value = textarea.value;
    if (!value.trim()) {
      textarea.value = text;
    } else {
      var start = textarea.selectionStart;
      var end = textarea.selectionEnd;
      if (typeof start !== "number") start = end = value.length;
      var before = value.slice(0, start);
      var after = value.slice(end);
      var glue = before && !/\s$/.test(before) ? " " : "";
      textarea.value = before + glue + text + after;
      var caret = (before + glue + text).length;
      textarea.setSelectionRange(caret, caret);
    }
    textarea.focus();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http (a laptop): the older way, through a selection.
    var scratch = document.createElement("textarea");
    scratch.value = text;
    scratch.setAttribute("readonly", "");
    scratch.style.position = "fixed";
    scratch.style.opacity = "0";
    document.body.appendChild(scratch);
    scratch.select();
    try {
      document.execCommand("copy");
    } finally {
      document.body.removeChild(scratch);
    }
    return Promise.resolve();
  }

  function setUp(composer) {
    if (composer.hasAttribute("data-reply-ready")) return;
    composer.setAttribute("data-reply-ready", "");
    var textarea = composer.querySelector("[data-reply-text]");
    var form = composer.querySelector("[data-reply-form]");
    if (!textarea || !form) return;

    textarea.addEventListener("input", function () {
      updateCount(composer);
    });
    updateCount(composer);

    composer.querySelectorAll("[data-reply-insert]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        insert(textarea, button.getAttribute("data-text") || "");
      });
    });

    var copied = composer.querySelector("[data-reply-copied]");
    composer.querySelectorAll("[data-reply-copy]").forEach(function (link) {
      // The link itself opens the post in a new tab; the copy rides along.
      link.addEventListener("click", function () {
        copy(textarea.value).then(
          function () {
            if (copied) copied.hidden = false;
          },
          function () {}
        );
      });
    });

    form.addEventListener("submit", function (event) {
      if (form.hasAttribute("data-submitting")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitting", "");
      form.setAttribute("aria-busy", "true");
    });
  }

  function setUpAll() {
    document.querySelectorAll("[data-reply-composer]").forEach(setUp);
  }

  // Back from the next page (bfcache): the form may be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("[data-reply-form][data-submitting]").forEach(function (form) {
      form.removeAttribute("data-submitting");
      form.removeAttribute("aria-busy");
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
