// viewflow's Material select puts aria-required on its anchor, whose role (button)
// does not allow it (WCAG 4.1.2). The label already ends in "*" for a required
// field; remove the attribute whenever the widget (re)draws it.
(function () {
  function strip(root) {
    root.querySelectorAll('.mdc-select__anchor[role="button"][aria-required]').forEach(function (el) {
      el.removeAttribute("aria-required");
    });
  }
  strip(document);
  new MutationObserver(function (mutations) {
    mutations.forEach(function (mutation) {
      if (mutation.type === "attributes") {
        var el = mutation.target;
        if (el.matches('.mdc-select__anchor[role="button"]') && el.hasAttribute("aria-required")) {
          el.removeAttribute("aria-required");
        }
      } else {
        strip(mutation.target);
      }
    });
  }).observe(document.documentElement, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["aria-required"],
  });
})();
