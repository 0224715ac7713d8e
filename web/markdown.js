// Markdown to DOM, safely: every piece of text becomes a Text node (textContent), so whatever
// the model or the user wrote (<script>, <img onerror=...>) shows as characters and never as
// HTML. Covers what chat answers use: fenced code, headings, lists, quotes, rules, paragraphs,
// `code`, **strong**, *emphasis*, and [links](https://...) to http(s) and mailto only.

import { el } from './dom.js';

const SAFE_LINK = /^(https?:|mailto:)/i;


// The earliest inline construct in `text` from `from`, or null.
const INLINE = [
  { kind: 'code', re: /`([^`\n]+)`/g },
  { kind: 'link', re: /\[([^\]\n]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)/g },
  { kind: 'strong', re: /\*\*([^*\n]+)\*\*|__([^_\n]+)__/g },
  { kind: 'em', re: /\*([^*\n]+)\*|(?<![A-Za-z0-9])_([^_\n]+)_(?![A-Za-z0-9])/g },
  { kind: 'url', re: /https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"]/g },
];

function nextInline(text, from) {
  let best = null;
  for (const { kind, re } of INLINE) {
    re.lastIndex = from;
    const m = re.exec(text);
    if (m && (!best || m.index < best.m.index)) best = { kind, m };
  }
  return best;
}

function link(href, label) {
  if (!SAFE_LINK.test(href)) return document.createTextNode(label);
  const a = el('a', null, label);
  a.href = href;
  a.rel = 'noopener noreferrer';
  a.target = '_blank';
  return a;
}

export function renderInline(text, parent) {
  let at = 0;
  for (let found = nextInline(text, at); found; found = nextInline(text, at)) {
    const { kind, m } = found;
    if (m.index > at) parent.append(text.slice(at, m.index));
    if (kind === 'code') parent.append(el('code', null, m[1]));
    else if (kind === 'link') parent.append(link(m[2], m[1]));
    else if (kind === 'url') parent.append(link(m[0], m[0]));
    else {
      const node = el(kind === 'strong' ? 'strong' : 'em');
      renderInline(m[1] ?? m[2], node);
      parent.append(node);
    }
    at = m.index + m[0].length;
  }
  if (at < text.length) parent.append(text.slice(at));
}

const FENCE = /^\s*(```|~~~)\s*([\w+-]*)\s*$/;
const HEADING = /^(#{1,6})\s+(.*)$/;
const BULLET = /^(\s*)[-*+]\s+(.*)$/;
const NUMBERED = /^(\s*)(\d{1,9})[.)]\s+(.*)$/;
const QUOTE = /^\s*>\s?(.*)$/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;

function listItem(line) {
  let m = BULLET.exec(line);
  if (m) return { ordered: false, text: m[2] };
  m = NUMBERED.exec(line);
  if (m) return { ordered: true, start: Number(m[2]), text: m[3] };
  return null;
}

// Renders `source` into a new <div class="md"> and returns it. An unclosed code fence (a
// stream that has not finished it yet) runs to the end of the text.
export function renderMarkdown(source) {
  const root = el('div', 'md');
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (fence) {
      const code = [];
      for (i += 1; i < lines.length && !lines[i].trim().startsWith(fence[1]); i += 1)
        code.push(lines[i]);
      i += 1;
      const pre = el('pre');
      const codeEl = el('code', null, code.join('\n'));
      if (fence[2]) codeEl.dataset.lang = fence[2];
      pre.append(codeEl);
      root.append(pre);
      continue;
    }
    if (!line.trim()) { i += 1; continue; }
    const heading = HEADING.exec(line);
    if (heading) {
      const h = el('h' + Math.min(6, heading[1].length + 2));
      renderInline(heading[2], h);
      root.append(h);
      i += 1;
      continue;
    }
    if (RULE.test(line)) { root.append(el('hr')); i += 1; continue; }
    if (QUOTE.test(line)) {
      const quoted = [];
      for (; i < lines.length && QUOTE.test(lines[i]); i += 1) quoted.push(QUOTE.exec(lines[i])[1]);
      const block = el('blockquote');
      block.append(...renderMarkdown(quoted.join('\n')).childNodes);
      root.append(block);
      continue;
    }
    const first = listItem(line);
    if (first) {
      const list = el(first.ordered ? 'ol' : 'ul');
      if (first.ordered && first.start !== 1) list.start = first.start;
      let item = null;
      for (; i < lines.length; i += 1) {
        const next = listItem(lines[i]);
        if (next && next.ordered === first.ordered) {
          item = el('li');
          renderInline(next.text, item);
          list.append(item);
        } else if (item && /^\s+\S/.test(lines[i])) {
          item.append(el('br'));
          renderInline(lines[i].trim(), item);
        } else break;
      }
      root.append(list);
      continue;
    }
    const paragraph = [];
    for (; i < lines.length; i += 1) {
      const l = lines[i];
      if (!l.trim() || FENCE.test(l) || HEADING.test(l) || QUOTE.test(l) || listItem(l) ||
          RULE.test(l)) break;
      paragraph.push(l);
    }
    const p = el('p');
    paragraph.forEach((l, n) => {
      if (n > 0) p.append(el('br'));
      renderInline(l, p);
    });
    root.append(p);
  }
  return root;
}
