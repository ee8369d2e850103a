// Progressive enhancement for the offer form: show only the fields the chosen kind uses.
// Without JavaScript every field shows, each saying which kind it is for.
(function () {
  var form = document.querySelector("form.offer-form");
  if (!form) return;
  var parts = form.querySelectorAll(".kind-only");
  function update() {
    var chosen = form.querySelector('input[name="kind"]:checked');
    var kind = chosen ? chosen.value : "";
    parts.forEach(function (part) {
      part.hidden = part.getAttribute("data-kinds").split(" ").indexOf(kind) === -1;
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "kind") update();
  });
  update();
})();
