// The chat page: asks for the key, lists the routes it may open and its conversations, and
// chats on one conversation at a time over a protocol 2 connection.

import { ApiError, deleteConversation, listConversations, listRoutes } from './api.js';
import { Connection } from './connection.js';
import { button, el } from './dom.js';
import { forgetKey, savedKey, savedPlace, saveKey, savePlace } from './storage.js';
import { Transcript } from './transcript.js';

const $ = (id) => document.getElementById(id);

const state = {
  key: null,
  routes: [],
  route: null,
  connection: null,
  deleted: false,  // the open conversation was deleted: its successor's ready frame says so
};

const transcript = new Transcript($('messages'), {
  answer: (approvalId, decision) =>
    !!state.connection?.send({ type: 'approve', approval_id: approvalId, decision }),
});

function show(screen) {
  $('login').hidden = screen !== 'login';
  $('app').hidden = screen !== 'app';
}

// ---- the key ----

function askForKey(message = '') {
  closeConnection();
  setOnline(false, 'signed out', false);
  state.key = null;
  $('login-error').textContent = message;
  show('login');
  $('key').focus();
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = $('key').value.trim();
  if (!key) return;
  $('login-error').textContent = '';
  try {
    await start(key);
    saveKey(key, $('remember').checked);
    $('key').value = '';
  } catch (error) {
    $('login-error').textContent = error instanceof ApiError && error.status === 401
      ? 'That key is not valid.' : `Cannot reach the server: ${error.message}`;
  }
});

$('forget-key').addEventListener('click', () => {
  forgetKey();
  askForKey();
});

// ---- routes and conversations ----

async function start(key) {
  const routes = await listRoutes(key);  // also checks the key
  state.key = key;
  state.routes = routes;
  show('app');
  drawRoutes();
  const place = savedPlace();
  const known = (name) => routes.some((r) => r.route === name);
  if (place && known(place.route)) openConversation(place.route, place.conversationId);
  else if (routes.length) openConversation(pickRoute(routes), null);
  else transcript.notice('This key may not open any route.', 'error');
  refreshConversations();
}

function pickRoute(routes) {
  return (routes.find((r) => r.health.status === 'ok') ?? routes[0]).route;
}

function drawRoutes() {
  $('routes').replaceChildren(...state.routes.map((r) => {
    const dot = el('span', `health ${r.health.status}`);
    const pick = button('route' + (r.route === state.route ? ' current' : ''), undefined, () => {
      openConversation(r.route, null);
      closeMenu();
    });
    pick.dataset.route = r.route;
    pick.title = r.health.detail ? `${r.health.status}: ${r.health.detail}` : r.health.status;
    pick.append(dot, el('span', null, r.route), el('span', 'version', `${r.plugin} ${r.version}`));
    const item = el('li');
    item.append(pick);
    return item;
  }));
}

async function refreshConversations() {
  if (!state.key) return;
  let conversations;
  try {
    conversations = await listConversations(state.key);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'store_disabled') conversations = [];
    else return;
  }
  const current = state.connection?.conversationId;
  $('conversations').replaceChildren(...conversations.map((c) => {
    const item = el('li', 'conversation' + (c.conversation_id === current ? ' current' : ''));
    item.dataset.id = c.conversation_id;
    const open = button('open', undefined, () => {
      openConversation(c.route, c.conversation_id);
      closeMenu();
    });
    const turns = `${c.turns} turn${c.turns === 1 ? '' : 's'}`;
    open.append(el('span', 'title', c.title || '(untitled)'),
                el('span', 'meta', `${c.route} · ${turns}${c.running ? ' · running' : ''}`));
    const remove = button('delete', 'Delete', () => confirmDelete(remove, c.conversation_id));
    remove.setAttribute('aria-label', `Delete "${c.title}"`);
    item.append(open, remove);
    return item;
  }));
  $('no-conversations').hidden = conversations.length > 0;
}

// A first click arms the button, a second within 4 s deletes.
function confirmDelete(button, id) {
  if (!button.classList.contains('armed')) {
    button.classList.add('armed');
    button.textContent = 'Sure?';
    setTimeout(() => { button.classList.remove('armed'); button.textContent = 'Delete'; }, 4000);
    return;
  }
  deleteConversation(state.key, id)
    .catch((error) => transcript.notice(`Not deleted: ${error.message}`, 'error'))
    .finally(refreshConversations);
}

$('new-conversation').addEventListener('click', () => {
  if (state.route) openConversation(state.route, null);
  closeMenu();
});

// ---- the conversation ----

function closeConnection() {
  state.connection?.close();
  state.connection = null;
}

function openConversation(route, conversationId) {
  closeConnection();
  state.route = route;
  transcript.clear();
  drawRoutes();
  $('title').textContent = route;
  setOnline(false, 'connecting', false);
  state.connection = new Connection({
    key: state.key,
    route,
    conversationId,
    handlers: {
      frame: onFrame,
      state: onConnectionState,
      ready: (frame, resumed) => {
        if (!resumed) {
          transcript.clear();
          if (state.deleted) transcript.notice('This conversation was deleted; this is a new one.');
          else if (conversationId) transcript.notice('That conversation is gone; this is a new one.');
        }
        state.deleted = false;
        savePlace({ route, conversationId: frame.conversation_id });
        updateControls();
        refreshConversations();
      },
    },
  });
}

function onFrame(frame) {
  // The ready frame of the new conversation follows at once.
  if (frame.type === 'error' && frame.code === 'conversation_deleted') {
    state.deleted = true;
    return;
  }
  transcript.frame(frame);
  updateControls();
  if (frame.type === 'complete' || frame.type === 'error') refreshConversations();
}

function onConnectionState(status, detail) {
  if (status === 'online') return setOnline(true);
  if (status === 'refused') {
    if (detail === 'invalid_api_key') return askForKey('The server no longer accepts this key.');
    setOnline(false, `refused: ${detail}`, false);
    transcript.notice(`The server refused this route (${detail}).`, 'error');
    return;
  }
  setOnline(false, detail);
}

// The offline banner is for a connection that was up and dropped, not for the first connect.
function setOnline(online, detail = '', banner = !online) {
  $('offline').hidden = !banner;
  $('offline-detail').textContent = detail;
  $('status').textContent = online ? 'online' : detail || 'offline';
  $('status').className = online ? 'online' : 'offline';
  updateControls();
}

function updateControls() {
  const busy = transcript.busy;
  $('stop').hidden = !busy;
  $('send').disabled = !state.connection?.online;
}

// ---- the composer ----

function send() {
  const text = $('input').value;
  if (!text.trim()) return;
  if (state.connection?.send({ type: 'message', content: text })) {
    $('input').value = '';
    resizeInput();
  }
}

function stop() {
  if (transcript.busy) state.connection?.send({ type: 'cancel' });
}

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  send();
});
$('stop').addEventListener('click', stop);
$('input').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || $('app').hidden) return;
  if (document.body.classList.contains('menu-open')) closeMenu();
  else stop();
});

function resizeInput() {
  const input = $('input');
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
}
$('input').addEventListener('input', resizeInput);

// ---- the menu on narrow screens ----

function closeMenu() { document.body.classList.remove('menu-open'); }
$('menu').addEventListener('click', (event) => {
  event.stopPropagation();
  document.body.classList.toggle('menu-open');
});
// A tap beside the open drawer closes it.
document.querySelector('main').addEventListener('click', closeMenu);

// ---- start ----

const key = savedKey();
if (key) {
  start(key).catch((error) => {
    if (error instanceof ApiError && error.status === 401) {
      forgetKey();
      askForKey('The saved key is not valid any more.');
    } else askForKey(`Cannot reach the server: ${error.message}`);
  });
} else askForKey();
