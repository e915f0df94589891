// A form marked data-once is sent once: a double tap on a slow connection does not submit twice.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute("data-once")) return;
  if (form.dataset.sent === "1") { event.preventDefault(); return; }
  form.dataset.sent = "1";
  form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
});
// Leaving the page through the browser's back button restores a usable form.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.dataset.sent = "";
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
  });
});
