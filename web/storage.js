// Where the page keeps the key and the open conversation: localStorage only when the user
// ticked "remember", else sessionStorage (gone with the tab).

const KEY = 'agenthost.key';
const PLACE = 'agenthost.place';

function stores() {
  const found = [];
  for (const name of ['localStorage', 'sessionStorage']) {
    try { if (window[name]) found.push(window[name]); } catch { /* storage disabled */ }
  }
  return found;
}

let memoryKey = null;

export function savedKey() {
  for (const store of stores()) {
    const value = store.getItem(KEY);
    if (value) return value;
  }
  return memoryKey;
}

export function saveKey(key, remember) {
  forgetKey();
  memoryKey = key;
  try { (remember ? localStorage : sessionStorage).setItem(KEY, key); } catch { /* memory only */ }
}

export function forgetKey() {
  memoryKey = null;
  for (const store of stores()) { store.removeItem(KEY); store.removeItem(PLACE); }
}

function keyStore() {
  for (const store of stores()) if (store.getItem(KEY)) return store;
  return null;
}

// {route, conversationId} of the conversation last open, so a reload opens it again.
export function savedPlace() {
  try { return JSON.parse(keyStore()?.getItem(PLACE) ?? 'null'); } catch { return null; }
}

export function savePlace(place) {
  keyStore()?.setItem(PLACE, JSON.stringify(place));
}
