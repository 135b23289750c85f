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
