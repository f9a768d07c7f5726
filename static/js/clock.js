// Times on the phone in the district's configured zone (<html data-tz>, as the server shows
// them), whatever zone the phone is set to. One formatter per pattern: building an Intl
// formatter costs tens of milliseconds on a cheap phone, and the status bar redraws often.
const ZONE = document.documentElement.dataset.tz || undefined;
const LANG = document.documentElement.lang || 'zh-Hans';
const formatters = new Map();

function formatter(locale, options) {
  const key = locale + JSON.stringify(options);
  if (!formatters.has(key)) formatters.set(key, new Intl.DateTimeFormat(locale, { ...options, timeZone: ZONE }));
  return formatters.get(key);
}

// "12/1 09:05": a short moment for lists and the status bar.
export const shortMoment = (time) => formatter(LANG, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(time));

// "09:05:07"
export const timeOfDay = (time) => formatter(LANG, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(time));

// "2026-12-01": the local day a moment falls on, as the server counts duty periods.
export function localDay(time) {
  const parts = Object.fromEntries(formatter('en-US', { year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(new Date(time)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}
