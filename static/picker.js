// Place pickers (templates/macros/picker.html): choosing a county or township shows its places at
// once, and a long list of places narrows as one types. Without this file the pickers work
// through their "show" and "search" buttons.
(function () {
  document.querySelectorAll("form[data-picker]").forEach(function (form) {
    var show = form.querySelector("[data-picker-show]");
    if (show) show.hidden = true;
    form.querySelectorAll("select[data-picker-level]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.name === "county") {
          var township = form.querySelector("select[name=township]");
          if (township) township.value = "";
        }
        var search = form.querySelector("input[name=q]");
        if (search) search.value = "";
        // what was typed in the page's other form is kept across the reload
        form.querySelectorAll("input[data-keep]").forEach(function (input) {
          var source = document.querySelector("form:not([data-picker]) [name='" + input.dataset.keep + "']");
          if (source) input.value = source.value;
        });
        form.submit();
      });
    });
  });
  document.querySelectorAll("input[data-picker-filter]").forEach(function (input) {
    var select = document.getElementById(input.dataset.pickerFilter);
    if (!select) return;
    input.hidden = false;
    input.addEventListener("input", function () {
      var text = input.value.trim();
      select.querySelectorAll("option").forEach(function (option) {
        option.hidden = Boolean(text) && option.value !== "" && option.textContent.indexOf(text) === -1;
      });
      // the first place still listed is chosen, unless the one chosen is still listed
      var chosen = select.selectedIndex >= 0 ? select.options[select.selectedIndex] : null;
      var first = Array.prototype.find.call(select.options, function (o) { return !o.hidden && o.value; });
      if (text && first && (!chosen || chosen.hidden || !chosen.value)) select.value = first.value;
    });
  });
})();
