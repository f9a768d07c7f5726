// Times on the phone in the district's configured zone, as the server shows them, whatever
// zone the phone is set to. The server sends the zone's UTC offsets for the coming months
// (<html data-tz-offsets>: [from epoch ms, minutes east of UTC] pairs, so a summer-time switch
// during days offline is right): Intl.DateTimeFormat would do it, but building one costs
// 60-140 ms of main thread at the first paint of a cheap phone.
const OFFSETS = JSON.parse(document.documentElement.dataset.tzOffsets || '[[0, 480]]');
const pad = (n) => String(n).padStart(2, '0');

function wall(time) {
  const ms = new Date(time).getTime();
  let minutes = OFFSETS[0][1];
  for (const [from, offset] of OFFSETS) if (ms >= from) minutes = offset;
  return new Date(ms + minutes * 60000); // read with getUTC*: the local wall clock
}

// "12/1 09:05": a short moment for lists and the status bar.
export function shortMoment(time) {
  const d = wall(time);
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

// "09:05:07"
export function timeOfDay(time) {
  const d = wall(time);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

// "2026-12-01": the local day a moment falls on, as the server counts duty periods.
export const localDay = (time) => wall(time).toISOString().slice(0, 10);
