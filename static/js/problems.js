// Records the server would not take (a field to fix, or another user's), shown on the page that
// made them: why, and for one that needs fixing a way to drop it on purpose. Nothing leaves the
// outbox otherwise.
import * as store from './store.js';

/**
 * @param {HTMLElement} box the page's problems card, with a [data-problems] list inside
 * @param {string[]} kinds the mutation kinds this page makes
 * @param {{discard: string, confirmDiscard: string, otherUser?: string}} T the page's strings
 * @param {() => any} after what the page redraws once one is dropped
 */
export async function showProblems(box, kinds, T, after) {
  const problems = (await store.outboxItems()).filter((m) => kinds.includes(m.kind) && (m.state === 'needs_fix' || m.state === 'blocked'));
  box.hidden = !problems.length;
  box.querySelector('[data-problems]').replaceChildren(...problems.map((m) => {
    const li = document.createElement('li');
    const why = m.state === 'blocked' && T.otherUser ? T.otherUser : m.error || '';
    li.append(Object.assign(document.createElement('strong'), { textContent: m.label || '' }),
      Object.assign(document.createElement('p'), { className: 'error', textContent: why }));
    if (m.state === 'needs_fix') {
      const drop = Object.assign(document.createElement('button'), { type: 'button', className: 'btn', textContent: T.discard });
      drop.addEventListener('click', async () => {
        if (!window.confirm(T.confirmDiscard)) return;
        await store.settle(m, null);
        window.dispatchEvent(new Event('gridwalk:saved'));
        await after();
      });
      li.append(drop);
    }
    return li;
  }));
}
