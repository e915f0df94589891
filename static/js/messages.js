// Owns the texts the browser code shows. They are translated on the server and carried by every
// page in a JSON block (#outbox-messages, from caseworks/offline/messages.py), so the phone
// shows them in the page's language; {n}, {time} and {name} are filled in here.

let texts = null;

export function t(key, values = {}) {
  if (texts === null) {
    const block = document.getElementById("outbox-messages");
    texts = block ? JSON.parse(block.textContent) : {};
  }
  let text = texts[key] || key;
  for (const [name, value] of Object.entries(values)) text = text.split(`{${name}}`).join(String(value));
  return text;
}

/** A moment as the phone's user reads it: "12月2日 14:05". */
export function formatTime(ms) {
  return new Date(ms).toLocaleString(document.documentElement.lang || "zh-CN", {
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}
