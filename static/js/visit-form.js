// Owns the visit form's way through the outbox. On "save" the typed visit and its photos (made
// small) are kept on the phone first, then sent: recorded → the case page; refused → back into
// the form with the messages by their fields; no signal or no login → kept, and the outbox page
// says so. A visit opened from the outbox (?entry=<client_uuid>) is filled in again to correct.
import * as store from "./store.js";
import { flush, newEntry } from "./outbox.js";
import { shrinkPhotos } from "./photos.js";
import { requestBackgroundSync } from "./device.js";
import { notifyNextPage } from "./status.js";
import { t } from "./messages.js";

const NOT_TYPED = new Set(["csrf_token", "client_uuid", "photos"]);

function newUuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));  // plain HTTP has no randomUUID
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function typedFields(form) {
  const fields = [];
  for (const [name, value] of new FormData(form)) {
    if (!NOT_TYPED.has(name) && typeof value === "string") fields.push([name, value]);
  }
  return fields;
}

function fill(form, fields) {
  for (const box of form.querySelectorAll("input[type=checkbox]")) box.checked = false;
  for (const [name, value] of fields) {
    for (const input of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
      if (input.type === "checkbox" || input.type === "radio") {
        if (input.value === value) input.checked = true;
      } else if (input.type !== "file") {
        input.value = value;
      }
    }
  }
}

function clearErrors(form) {
  for (const p of form.querySelectorAll("p.error[data-outbox-error]")) p.remove();
  for (const f of form.querySelectorAll(".field.has-error")) f.classList.remove("has-error");
  const alert = document.querySelector("[data-form-alert]");
  if (alert) alert.replaceChildren();
}

function showRefusal(form, entry) {
  clearErrors(form);
  const alert = document.querySelector("[data-form-alert]");
  const general = [t(`reason_${entry.reason}`)];
  for (const [name, messages] of Object.entries(entry.errors || {})) {
    const field = form.querySelector(`#field-${CSS.escape(name)}`);
    for (const message of messages) {
      if (field) {
        const p = document.createElement("p");
        p.className = "error";
        p.setAttribute("role", "alert");
        p.dataset.outboxError = "";
        p.textContent = message;
        field.append(p);
        field.classList.add("has-error");
      } else {
        general.push(message);
      }
    }
  }
  if (alert) {
    for (const text of general) {
      const box = document.createElement("div");
      box.className = "flash flash-error";
      box.setAttribute("role", "alert");
      box.textContent = text;
      alert.append(box);
    }
  }
  window.scrollTo(0, 0);
}

function showKeptPhotos(form, photos) {
  const note = form.querySelector("[data-photos-kept]");
  if (!note) return;
  note.hidden = !photos.length;
  note.textContent = photos.length ? t("photos_kept", { n: photos.length }) : "";
}

export async function initVisitForm(form, user) {
  const params = new URLSearchParams(location.search);
  let uuid = newUuid();  // a fresh visit per opening, also of a copy kept on the phone
  let plannedId = params.get("planned") || form.dataset.planned || null;
  let kept = [];
  const opened = params.get("entry") ? await store.entry(params.get("entry")) : null;
  if (opened && opened.userId === user.id && opened.state !== "sent") {
    uuid = opened.uuid;
    plannedId = opened.plannedId;
    kept = opened.photos || [];
    fill(form, opened.fields);
    showKeptPhotos(form, kept);
    if (opened.state === "attention") showRefusal(form, opened);
  }
  form.querySelector("[name=client_uuid]").value = uuid;
  const buttons = form.querySelectorAll("button[type=submit]");
  let busy = false;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    event.stopImmediatePropagation();  // the page's plain-form handlers (data-once) stay out
    if (busy) return;
    busy = true;
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const chosen = form.querySelector("[name=photos]");
      const photos = chosen && chosen.files.length ? await shrinkPhotos(chosen.files) : kept;
      const before = await store.entry(uuid);
      if (before && before.state === "sent") {
        location.assign(`${form.dataset.caseUrl}#visits`);
        return;
      }
      await store.putEntry(newEntry({
        uuid,
        caseId: Number(form.dataset.caseId),
        plannedId: plannedId ? Number(plannedId) : null,
        childName: form.dataset.childName,
        caseUrl: form.dataset.caseUrl,
        userId: user.id,
        userName: user.name,
        fields: typedFields(form),
        photos,
      }));
      requestBackgroundSync();
      if (navigator.onLine) await flush({ wait: true });
      const after = await store.entry(uuid);
      if (after.state === "sent") {
        await store.putEntry({ ...after, announced: true });
        notifyNextPage("success", t("recorded"));
        location.assign(`${form.dataset.caseUrl}#visits`);
        return;
      }
      if (after.state === "attention") {
        showRefusal(form, after);
        return;
      }
      notifyNextPage("warning", after.reason === "login" ? `${t("reason_login")}` : t("queued"));
      location.assign("/outbox");
    } finally {
      busy = false;
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
}
