// The staff area's forms (viewflow's Material widgets, drawn in the browser): each
// field's input is tied to its error or help text, and the error summary's links
// lead to the input itself (WCAG 1.3.1, 3.3.1, 4.1.2).
//
// viewflow draws <vf-field-* id="id_x"> with the input inside (id "id_x_control",
// or a button-like anchor for a select) and an unnamed helper line that shows the
// error, else the help text. The server puts aria-invalid/aria-describedby on the
// outer element, where they name ids that do not exist; here they move to the input
// and the helper line gets the id they name.
(function () {
  "use strict";
  var FOCUSABLE =
    '[role="button"], [role="combobox"], input:not([type="hidden"]), select, textarea, [contenteditable="true"]';

  function control(field) {
    return document.getElementById(field.id + "_control") &&
      document.getElementById(field.id + "_control").type !== "hidden"
      ? document.getElementById(field.id + "_control")
      : field.querySelector(FOCUSABLE);
  }

  function tie(field) {
    var input = control(field);
    if (!input) {
      return;
    }
    var error = field.getAttribute("error");
    var helper = field.querySelector(
      ".mdc-text-field-helper-text, .mdc-select-helper-text, .vf-field__helper-text, .vf-field__error"
    );
    var ids = [];
    if (helper) {
      helper.id = field.id + (error ? "_error" : "_helptext");
      ids.push(helper.id);
    }
    if (ids.length) {
      input.setAttribute("aria-describedby", ids.join(" "));
    } else {
      input.removeAttribute("aria-describedby");
    }
    if (error) {
      input.setAttribute("aria-invalid", "true");
    } else {
      input.removeAttribute("aria-invalid");
    }
    if (!input.id) {
      input.id = field.id + "_focus";
    }
    field.removeAttribute("aria-describedby");
    field.removeAttribute("aria-invalid");
    document.querySelectorAll('.form-error-summary a[href="#' + field.id + '"]').forEach(function (link) {
      link.setAttribute("href", "#" + input.id);
    });
  }

  function tieAll() {
    document.querySelectorAll("[id^='id_']").forEach(function (el) {
      if (el.tagName.toLowerCase().indexOf("vf-field") === 0) {
        tie(el);
      }
    });
  }

  var pending = false;
  function schedule() {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        tieAll();
      });
    }
  }

  function focusSummary() {
    if (document.querySelector(".form-error-summary")) {
      // after viewflow's widgets have drawn (they take the focus while they do)
      window.setTimeout(function () {
        var summary = document.querySelector(".form-error-summary");
        if (summary) {
          summary.focus();
        }
      }, 150);
    }
  }

  function start() {
    tieAll();
    // Turbo (viewflow) replaces the body when a form comes back with errors (422):
    // observe the document element, and run again on each Turbo render.
    new MutationObserver(schedule).observe(document.documentElement, {
      childList: true,
      subtree: true,
    });
    document.addEventListener("turbo:render", function () {
      tieAll();
      focusSummary();
    });
    // a link of the error summary moves the focus to the input itself
    document.addEventListener("click", function (event) {
      var link = event.target.closest(".form-error-summary a[href^='#']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (target) {
        event.preventDefault();
        target.focus();
      }
    });
    focusSummary();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
