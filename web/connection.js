// One protocol 2 WebSocket to a route, kept alive across drops: the key as the first frame,
// the conversation resumed after a drop with `after_seq`, and each frame handed on at most
// once (the client recipe of docs/protocol.md: a frame with a seq is new only when its seq is
// above the highest seen).

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30000;
const PING_EVERY_MS = 20000;
// No frame (pongs included) for this long: the socket is dead (a laptop that slept, a network
// that changed without telling), even if the browser has not noticed yet.
const SILENCE_MS = 45000;

export class Connection {
  // handlers: frame(frame), state(state, detail), ready(readyFrame, resumedOk).
  constructor({ key, route, conversationId = null, handlers }) {
    this.key = key;
    this.route = route;
    this.conversationId = conversationId;
    this.lastSeq = 0;
    this.handlers = handlers;
    this.socket = null;
    this.closed = false;
    this.retryMs = FIRST_RETRY_MS;
    this.timers = {};
    this.onOnline = () => this.reconnectNow();
    this.onVisible = () => { if (document.visibilityState === 'visible') this.checkAlive(); };
    window.addEventListener('online', this.onOnline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.open();
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const params = new URLSearchParams({ protocol: '2' });
    if (this.conversationId) {
      params.set('conversation', this.conversationId);
      params.set('after_seq', String(this.lastSeq));
    }
    return `${scheme}//${location.host}/api/${encodeURIComponent(this.route)}/ws?${params}`;
  }

  open() {
    clearTimeout(this.timers.retry);
    const socket = new WebSocket(this.url());
    this.socket = socket;
    this.authenticated = false;
    this.asked = this.conversationId;
    socket.onopen = () => socket.send(this.key);
    socket.onmessage = (event) => { if (socket === this.socket) this.receive(event.data); };
    socket.onclose = (event) => { if (socket === this.socket) this.dropped(event); };
    this.lastHeard = Date.now();
  }

  receive(text) {
    this.lastHeard = Date.now();
    if (text === 'authenticated') { this.authenticated = true; return; }
    if (text.startsWith('error:')) {
      const code = text.slice(6);
      // A wrong key will not get better by trying again.
      if (code === 'invalid_api_key' || code === 'forbidden') this.stop(code);
      else this.handlers.state('offline', code);
      return;
    }
    let frame;
    try { frame = JSON.parse(text); } catch { return; }
    if (frame.type === 'ready') return this.ready(frame);
    if (frame.type === 'pong' || frame.type === 'resumed') return;
    if (typeof frame.seq === 'number') {
      if (frame.seq <= this.lastSeq) return;  // seen before this reconnect
      this.lastSeq = frame.seq;
    }
    this.handlers.frame(frame);
  }

  // A ready frame names the conversation this socket is on: the one asked for, or a new one
  // (a first connection, a refused resume, or a deleted conversation).
  ready(frame) {
    const same = frame.conversation_id === this.conversationId;
    if (!same) this.lastSeq = 0;
    this.conversationId = frame.conversation_id;
    this.retryMs = FIRST_RETRY_MS;
    this.startPinging();
    this.handlers.state('online');
    this.handlers.ready(frame, same || !this.asked);
    this.asked = this.conversationId;
  }

  send(frame) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN || !this.authenticated)
      return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  get online() {
    return !!this.socket && this.socket.readyState === WebSocket.OPEN && this.authenticated;
  }

  startPinging() {
    clearInterval(this.timers.ping);
    this.timers.ping = setInterval(() => {
      this.send({ type: 'ping' });
      this.checkAlive();
    }, PING_EVERY_MS);
  }

  checkAlive() {
    if (this.socket && Date.now() - this.lastHeard > SILENCE_MS) this.reconnectNow();
  }

  dropped(event) {
    clearInterval(this.timers.ping);
    if (this.closed) return;
    if (event.code === 1008) return this.stop(event.reason || 'refused');
    // Jitter, so that many pages behind one proxy do not come back at the same moment.
    const wait = this.retryMs / 2 + Math.random() * this.retryMs / 2;
    this.handlers.state('offline', `next try in ${(wait / 1000).toFixed(1)} s`);
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
    this.timers.retry = setTimeout(() => this.open(), wait);
  }

  reconnectNow() {
    if (this.closed) return;
    this.retryMs = FIRST_RETRY_MS;
    const old = this.socket;
    this.socket = null;
    if (old) old.close();
    this.open();
  }

  stop(reason) {
    this.close();
    this.handlers.state('refused', reason);
  }

  close() {
    this.closed = true;
    clearTimeout(this.timers.retry);
    clearInterval(this.timers.ping);
    window.removeEventListener('online', this.onOnline);
    document.removeEventListener('visibilitychange', this.onVisible);
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.close();
    }
  }
}
