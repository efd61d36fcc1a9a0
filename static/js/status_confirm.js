// Finishing a step asks first. The server refuses "done" without the form's confirm box ticked (so it holds
// without JavaScript); here the box is shown only when "done" is chosen, and submitting "done" without it
// asks in a dialog and ticks it on yes. Bound through data-confirm-done on the status <select> (CSP: no
// inline scripts). Runs in the capture phase, before htmx sends the form.
(function () {
  "use strict";

  function parts(form) {
    var select = form.querySelector("select[data-confirm-done]");
    var box = form.querySelector("input[type=checkbox][name=confirm]");
    return select && box ? { select: select, box: box, field: box.closest(".field") } : null;
  }

  function sync(form) {
    var p = parts(form);
    if (p && p.field && !p.field.classList.contains("has-error")) {
      p.field.hidden = p.select.value !== "done";
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-confirm-done") && target.form) {
      sync(target.form);
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    var p = parts(form);
    if (!p || p.select.value !== "done" || p.box.checked) {
      return;
    }
    if (window.confirm(p.select.getAttribute("data-confirm-done"))) {
      p.box.checked = true;
    } else {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  function syncAll(root) {
    (root || document).querySelectorAll("select[data-confirm-done]").forEach(function (select) {
      if (select.form) {
        sync(select.form);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { syncAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { syncAll(event.target); });
})();
