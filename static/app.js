// Small behaviours of plain pages (the outbox, the offline app and the visit form's way through
// them are the modules in static/js/, started by static/js/main.js).

// A button marked data-print prints the page (inline handlers are refused by the page's CSP).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});

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

// Geolocation for a visit: "add my location" fills the hidden latitude/longitude fields.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-locate]");
  if (!button || !navigator.geolocation) return;
  var form = button.form, status = form.querySelector("[data-location-status]");
  navigator.geolocation.getCurrentPosition(function (pos) {
    form.querySelector("[name=latitude]").value = pos.coords.latitude.toFixed(6);
    form.querySelector("[name=longitude]").value = pos.coords.longitude.toFixed(6);
    if (status) status.textContent = "✓ " + pos.coords.latitude.toFixed(4) + ", " + pos.coords.longitude.toFixed(4);
  }, function () { if (status) status.textContent = "✗"; }, { timeout: 15000 });
});
