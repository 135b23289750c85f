// The survey's code page: a mailed link carries the one-time code in the URL fragment
// (/survey/#code=ABCD-EFGH-JKLM), which browsers never send to the server. Fill it in
// and take it out of the address bar and history; the code then travels in the POST body.
(function () {
  "use strict";
  var match = /^#code=([A-Za-z0-9_-]+)$/.exec(window.location.hash || "");
  if (!match) {
    return;
  }
  var input = document.getElementById("id_code");
  if (input && !input.value) {
    input.value = match[1];
  }
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname);
  }
})();
