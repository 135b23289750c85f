// After a form comes back with errors, move focus to the summary of errors and say
// "Error" in the page title; after a redirect, move focus to the message, so that
// screen readers announce what happened.
(function () {
  var summary = document.querySelector(".form-error-summary");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
    var prefix = summary.getAttribute("data-title-prefix");
    if (prefix && document.title.indexOf(prefix) !== 0) {
      document.title = prefix + ": " + document.title;
    }
    return;
  }
  var messages = document.querySelector(".messages");
  if (messages) {
    messages.setAttribute("tabindex", "-1");
    messages.focus();
  }
})();

// Lists of items shown as tables (table.list) become stacked rows on a phone: each
// cell gets its column's header text as data-label, which site.css shows above it.
(function () {
  document.querySelectorAll("table.list").forEach(function (table) {
    var headers = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, index) {
        if (headers[index] && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", headers[index]);
        }
      });
    });
  });
})();
