// The conversation on screen, built from protocol 2 frames: a user bubble per turn, the
// answer streamed as Markdown, thinking folded in <details>, what the agent did as compact
// cards, approval requests with Accept/Decline. Text goes in only through textContent and
// renderMarkdown (which does the same).

import { button, el } from './dom.js';
import { renderMarkdown } from './markdown.js';


export class Transcript {
  // answer(approvalId, decision): sends an approve frame; returns false when offline.
  constructor(container, { answer }) {
    this.container = container;
    this.answer = answer;
    this.clear();
  }

  clear() {
    this.container.replaceChildren();
    this.turns = new Map();  // turn number -> its elements and state
    this.approvals = new Map();  // approval_id -> card
    this.running = new Set();  // turns without their terminal frame
  }

  get busy() { return this.running.size > 0; }

  // Follows the stream only while the reader is at the bottom: scrolling up to read stays put.
  stick(work) {
    const c = this.container;
    const atBottom = c.scrollHeight - c.scrollTop - c.clientHeight < 40;
    work();
    if (atBottom) c.scrollTop = c.scrollHeight;
  }

  turn(number) {
    let turn = this.turns.get(number);
    if (!turn) {
      const box = el('section', 'turn');
      box.dataset.turn = String(number);
      turn = { box, text: '', answer: null, thinking: null, pending: false };
      this.turns.set(number, turn);
      this.container.append(box);
    }
    return turn;
  }

  frame(frame) {
    this.stick(() => this.apply(frame));
  }

  apply(frame) {
    if (typeof frame.turn !== 'number') {  // refused, not part of the conversation
      if (frame.type === 'error') this.notice(frame.content, 'error');
      return;
    }
    const turn = this.turn(frame.turn);
    switch (frame.type) {
      case 'user': {
        const bubble = el('div', 'user', frame.content);
        turn.box.prepend(bubble);
        this.running.add(frame.turn);
        turn.box.classList.add('running');
        break;
      }
      case 'message':
        turn.text += frame.content;
        this.redrawSoon(turn);
        break;
      case 'event':
        this.event(turn, frame);
        break;
      case 'complete':
      case 'error':
        this.finish(turn, frame);
        break;
    }
  }

  // Markdown is drawn again for the whole answer at most once a frame: a fast stream of small
  // chunks costs one layout per screen refresh, not one per chunk.
  redrawSoon(turn) {
    if (turn.pending) return;
    turn.pending = true;
    requestAnimationFrame(() => this.stick(() => this.redraw(turn)));
  }

  redraw(turn) {
    turn.pending = false;
    const answer = renderMarkdown(turn.text);
    answer.classList.add('assistant');
    if (turn.answer) turn.answer.replaceWith(answer);
    else this.place(turn, answer);
    turn.answer = answer;
  }

  event(turn, frame) {
    const data = frame.data && typeof frame.data === 'object' ? frame.data : {};
    if (frame.kind === 'thinking') {
      if (!turn.thinking) {
        const details = el('details', 'thinking');
        details.append(el('summary', null, 'Thinking'), el('div', 'thinking-text'));
        turn.thinking = details;
        this.place(turn, details);
      }
      turn.thinking.lastChild.textContent += frame.content;
      return;
    }
    if (frame.kind === 'approval_request') return this.approval(turn, frame, data);
    // An approval's outcome shows on its card.
    if (frame.kind === 'status' && data.approval_id && this.approvals.has(data.approval_id))
      return this.settle(data.approval_id, frame.content, data.decision);
    const card = el('div', `card ${frame.kind}`);
    card.dataset.kind = frame.kind;
    if (frame.kind === 'command') {
      card.append(el('code', 'command-line', frame.content));
      if (data.exit_code !== undefined) {
        const ok = data.exit_code === 0;
        card.append(el('span', ok ? 'badge ok' : 'badge bad', `exit ${data.exit_code}`));
      }
    } else if (frame.kind === 'file_change' && Array.isArray(data.changes)) {
      card.append(el('span', 'card-title', frame.content || 'Files changed'));
      const list = el('ul', 'files');
      for (const change of data.changes)
        list.append(el('li', null, `${change.kind ?? 'changed'}  ${change.path ?? ''}`));
      card.append(list);
    } else {
      card.append(el('span', 'card-kind', frame.kind.replace('_', ' ')),
                  el('span', 'card-text', frame.content));
    }
    this.place(turn, card);
  }

  // In arrival order, before the turn's end marker: events before the answer's text came
  // before it, later ones after it.
  place(turn, node) {
    const end = turn.box.querySelector(':scope > .end');
    if (end) end.before(node);
    else turn.box.append(node);
  }

  approval(turn, frame, data) {
    const card = el('div', 'card approval');
    card.dataset.approvalId = data.approval_id ?? '';
    card.append(el('span', 'card-kind', 'approval'), renderMarkdown(frame.content));
    const buttons = el('div', 'buttons');
    const choose = (decision) => () => {
      if (this.answer(data.approval_id, decision)) {
        accept.disabled = decline.disabled = true;
        card.classList.add('answering');
      }
    };
    const accept = button('accept', 'Accept', choose('accept'));
    const decline = button('decline', 'Decline', choose('decline'));
    buttons.append(accept, decline);
    card.append(buttons);
    this.approvals.set(data.approval_id, card);
    this.place(turn, card);
  }

  settle(approvalId, text, decision) {
    const card = this.approvals.get(approvalId);
    card.querySelector('.buttons')?.replaceWith(
      el('span', decision === 'accept' ? 'badge ok' : 'badge bad', text));
    card.classList.add('settled');
  }

  finish(turn, frame) {
    if (turn.pending) this.redraw(turn);
    this.running.delete(frame.turn);
    turn.box.classList.remove('running');
    // Approvals of an ended turn cannot be answered any more.
    for (const card of turn.box.querySelectorAll('.approval:not(.settled) .buttons'))
      card.replaceWith(el('span', 'badge', 'Not answered'));
    let text = '';
    let kind = 'end';
    if (frame.type === 'error') {
      text = frame.content;
      kind = 'end error';
    } else if (frame.cancelled) {
      text = 'Stopped';
      kind = 'end stopped';
    } else if (frame.usage) {
      text = `${frame.usage.input_tokens ?? 0} in · ${frame.usage.output_tokens ?? 0} out`;
    }
    const end = el('div', kind, text);
    turn.box.append(end);
  }

  notice(text, kind = 'info') {
    this.stick(() => this.container.append(el('div', `notice ${kind}`, text)));
  }
}
