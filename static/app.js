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

// Offline visits: a form marked data-offline that cannot reach the server is kept in this
// browser and sent when the connection returns. Its client_uuid makes a resend harmless.
var QUEUE_KEY = "caseworks.outbox";

function readQueue() {
  try { return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]"); } catch (e) { return []; }
}
function writeQueue(queue) { localStorage.setItem(QUEUE_KEY, JSON.stringify(queue)); }

function formEntries(form) {
  var entries = [];
  new FormData(form).forEach(function (value, key) {
    if (typeof value === "string") entries.push([key, value]);  // photos need a connection
  });
  return entries;
}

function send(item) {
  var body = new FormData();
  item.entries.forEach(function (pair) { body.append(pair[0], pair[1]); });
  return fetch(item.action, { method: "POST", body: body, credentials: "same-origin", redirect: "follow" });
}

var flushing = false;

function flushQueue() {
  var queue = readQueue();
  if (flushing || !queue.length || !navigator.onLine) return;
  flushing = true;
  var item = queue[0];
  send(item).then(function (response) {
    // sent (or refused for good): either way it leaves the outbox; a refusal is shown
    writeQueue(readQueue().filter(function (q) { return q.id !== item.id; }));
    flushing = false;
    if (!response.ok) { window.location = item.action; return; }
    showOutbox();
    flushQueue();
  }).catch(function () { flushing = false; /* still offline; try again later */ });
}

function showOutbox(message) {
  var count = readQueue().length, box = document.getElementById("outbox");
  if (!count) { if (box) box.remove(); return; }
  if (!box) {
    box = document.createElement("div");
    box.id = "outbox"; box.className = "flash flash-warning"; box.setAttribute("role", "status");
    var main = document.querySelector("main"); main.insertBefore(box, main.firstChild);
  }
  var waiting = document.documentElement.lang.indexOf("zh") === 0
    ? "本机有 " + count + " 条家访记录待联网后提交。" : count + " visit(s) waiting on this phone for a connection.";
  box.textContent = message ? message + " " + waiting : waiting;
}

document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute("data-offline")) return;
  var item = { id: (form.querySelector("[name=client_uuid]") || {}).value || String(Date.now()),
               action: form.action || window.location.href, entries: formEntries(form) };
  // online as far as the browser knows: submit normally (a retry after a lost answer carries
  // the same client_uuid, so it is recorded once)
  if (navigator.onLine) return;
  event.preventDefault();
  event.stopImmediatePropagation();  // the form stays usable: nothing was sent
  var queue = readQueue().filter(function (q) { return q.id !== item.id; });
  queue.push(item); writeQueue(queue);
  showOutbox(form.getAttribute("data-offline"));
  window.scrollTo(0, 0);
}, true);

window.addEventListener("online", flushQueue);
window.addEventListener("load", function () { showOutbox(); flushQueue(); });

// Print buttons (inline handlers are not allowed by the content security policy).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});
