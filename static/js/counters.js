// Characters used of a text's limit, under each <textarea data-counter maxlength="N">
// (the report form). A line break counts once, as the browser's maxlength counts it.
(function () {
  document.querySelectorAll("textarea[data-counter][maxlength]").forEach(function (area) {
    var limit = parseInt(area.getAttribute("maxlength"), 10);
    var counter = document.createElement("p");
    counter.className = "char-counter";
    counter.id = area.id + "-counter";
    area.insertAdjacentElement("afterend", counter);
    var described = area.getAttribute("aria-describedby");
    area.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
    function update() {
      counter.textContent = area.value.length + " / " + limit;
    }
    area.addEventListener("input", update);
    update();
  });
})();
