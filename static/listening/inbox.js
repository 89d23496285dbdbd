/* Keyboard triage for the webcare inbox (templates/listening/inbox/index.html).
 *
 * j / k move the focused row, Enter or o opens it, x toggles its checkbox,
 * a assigns it to me, c closes it, i ignores it, ? shows the shortcuts.
 * a / c / i post a small form (with the CSRF token and the current inbox URL
 * as `next`) to the row's assign or status URL. Nothing fires while the
 * focus is in a text field or a select, nor for staff who turned Wagtail's
 * keyboard shortcuts off. Plain JS, no inline handlers (CSP).
 */
(function () {
  "use strict";

  var table = document.querySelector("[data-inbox]");
  if (!table) {
    return;
  }
  var rows = Array.prototype.slice.call(
    table.querySelectorAll("tbody tr[data-mention]")
  );
  var help = document.getElementById("inbox-shortcuts");
  var csrfInput = document.querySelector(
    "#inbox-bulk input[name=csrfmiddlewaretoken]"
  );
  var current = -1;

  rows.forEach(function (row, index) {
    row.setAttribute("tabindex", "-1");
    row.addEventListener("click", function () {
      select(index, false);
    });
  });

  function select(index, moveFocus) {
    if (!rows.length) {
      return;
    }
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (current >= 0 && rows[current]) {
      rows[current].classList.remove("inbox-row--focused");
      rows[current].removeAttribute("aria-current");
    }
    current = index;
    var row = rows[current];
    row.classList.add("inbox-row--focused");
    row.setAttribute("aria-current", "true");
    if (moveFocus) {
      row.focus();
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function focusedRow() {
    return current >= 0 ? rows[current] : null;
  }

  // After a/c/i the page reloads on the same URL: carry on from the same
  // position (the acted-on row may have left the list).
  var FOCUS_KEY = "listening-inbox-focus";

  function remember() {
    try {
      window.sessionStorage.setItem(
        FOCUS_KEY,
        JSON.stringify({ url: window.location.href, index: current })
      );
    } catch (error) {
      /* storage may be disabled; the focus then starts at the top */
    }
  }

  function restore() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(FOCUS_KEY) || "null");
      window.sessionStorage.removeItem(FOCUS_KEY);
      if (saved && saved.url === window.location.href && saved.index >= 0) {
        select(saved.index, true);
      }
    } catch (error) {
      /* nothing to restore */
    }
  }

  function post(url, name, value) {
    if (!url || !csrfInput) {
      return;
    }
    remember();
    var form = document.createElement("form");
    form.method = "post";
    form.action = url;
    var fields = {
      csrfmiddlewaretoken: csrfInput.value,
      next: window.location.pathname + window.location.search,
    };
    fields[name] = value;
    Object.keys(fields).forEach(function (key) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = key;
      input.value = fields[key];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  function isTyping(target) {
    if (!target || !target.tagName) {
      return false;
    }
    if (target.isContentEditable) {
      return true;
    }
    var tag = target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") {
      return true;
    }
    if (tag === "INPUT") {
      var type = (target.getAttribute("type") || "text").toLowerCase();
      return type !== "checkbox" && type !== "radio";
    }
    return false;
  }

  function toggleHelp(open) {
    if (!help) {
      return;
    }
    help.open = typeof open === "boolean" ? open : !help.open;
  }

  // "Select all on this page" only makes sense with JavaScript.
  var selectAll = table.querySelector("[data-select-all]");
  if (selectAll) {
    selectAll.hidden = false;
    selectAll.addEventListener("change", function () {
      rows.forEach(function (row) {
        var box = row.querySelector("input[name=ids]");
        if (box) {
          box.checked = selectAll.checked;
        }
      });
    });
  }

  // Staff who turned Wagtail's keyboard shortcuts off in their account get
  // none here either.
  function shortcutsEnabled() {
    var node = document.getElementById("wagtail-config");
    if (!node) {
      return true;
    }
    try {
      return JSON.parse(node.textContent).KEYBOARD_SHORTCUTS_ENABLED !== false;
    } catch (error) {
      return true;
    }
  }

  if (!shortcutsEnabled()) {
    var off = document.querySelector("[data-shortcuts-off]");
    if (off) {
      off.hidden = false;
    }
    return;
  }

  restore();

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    if (isTyping(event.target)) {
      return;
    }
    var key = event.key;
    if (key === "?") {
      toggleHelp();
      event.preventDefault();
      return;
    }
    if (key === "Escape") {
      toggleHelp(false);
      return;
    }
    var row = focusedRow();
    switch (key) {
      case "j":
        select(current + 1, true);
        break;
      case "k":
        select(current < 0 ? 0 : current - 1, true);
        break;
      case "Enter":
      case "o":
        // Enter on a link or a button keeps its own meaning.
        var tag = event.target && event.target.tagName;
        if (key === "Enter" && (tag === "A" || tag === "BUTTON" || tag === "SUMMARY")) {
          return;
        }
        if (!row) {
          return;
        }
        window.location.href = row.getAttribute("data-href");
        break;
      case "x":
        if (!row) {
          return;
        }
        var box = row.querySelector("input[name=ids]");
        if (box) {
          box.checked = !box.checked;
        }
        break;
      case "a":
        if (!row) {
          return;
        }
        post(row.getAttribute("data-assign-url"), "assignee", "me");
        break;
      case "c":
        if (!row) {
          return;
        }
        post(row.getAttribute("data-status-url"), "status", "closed");
        break;
      case "i":
        if (!row) {
          return;
        }
        post(row.getAttribute("data-status-url"), "status", "ignored");
        break;
      default:
        return;
    }
    event.preventDefault();
  });
})();
