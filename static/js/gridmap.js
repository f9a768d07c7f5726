// The phone's one map projection and its SVG drawing, for every map that works offline with no
// tiles: the worker's grid outlines, points on them, and a tap that picks a point.
// Local equirectangular: x is longitude scaled by cos(latitude), so a square block looks square
// (raw degrees stretch it about 25 % wide at 36.7°N).
const NS = 'http://www.w3.org/2000/svg';

export function ringsOf(geometry) {
  if (!geometry) return [];
  return geometry.type === 'Polygon' ? [geometry.coordinates[0]] : geometry.coordinates.map((p) => p[0]);
}

// A view fitting every [lon, lat] given into `size` SVG units, with `pad` units around.
export function fit(coords, size = 1000, pad = 20) {
  if (!coords.length) return null;
  const ys = coords.map((c) => c[1]);
  const k = Math.cos(((Math.min(...ys) + Math.max(...ys)) / 2) * (Math.PI / 180));
  const xs = coords.map((c) => c[0] * k);
  const minX = Math.min(...xs); const maxY = Math.max(...ys);
  const w = Math.max(...xs) - minX; const h = maxY - Math.min(...ys);
  const scale = size / Math.max(w, h, 1e-7);
  return {
    viewBox: `${-pad} ${-pad} ${(w * scale + 2 * pad).toFixed(1)} ${(h * scale + 2 * pad).toFixed(1)}`,
    project: ([lon, lat]) => [(lon * k - minX) * scale, (maxY - lat) * scale],
    unproject: ([x, y]) => [(x / scale + minX) / k, maxY - y / scale],
  };
}

export function add(svg, tag, attrs, title) {
  const node = document.createElementNS(NS, tag);
  Object.entries(attrs).forEach(([a, v]) => node.setAttribute(a, v));
  if (title) { const t = document.createElementNS(NS, 'title'); t.textContent = title; node.append(t); }
  svg.append(node);
  return node;
}

export const points = (view, coords) => coords.map((c) => view.project(c).map((v) => v.toFixed(1)).join(',')).join(' ');

// Draw the grids and return the view, fitted to them and to any extra points.
export function drawGrids(svg, grids, extra = []) {
  const rings = grids.flatMap((g) => ringsOf(g.geometry).map((ring) => ({ g, ring })));
  const view = fit([...rings.flatMap((r) => r.ring), ...extra]);
  svg.replaceChildren();
  if (!view) return null;
  svg.setAttribute('viewBox', view.viewBox);
  rings.forEach(({ g, ring }) => add(svg, 'polygon', { points: points(view, ring), class: 'grid-outline' }, g.name));
  return view;
}

// A tap on the map gives the point under the finger, as [lon, lat].
export function onPick(svg, view, pick) {
  svg.addEventListener('click', (e) => {
    const pt = svg.createSVGPoint();
    pt.x = e.clientX; pt.y = e.clientY;
    const p = pt.matrixTransform(svg.getScreenCTM().inverse());
    pick(view.unproject([p.x, p.y]));
  });
}

// The one marker of a picked point, moved rather than added again.
export function placeMarker(svg, view, lon, lat, r = 14) {
  let dot = svg.querySelector('circle.marker');
  if (!dot) dot = add(svg, 'circle', { r, class: 'marker' });
  const [x, y] = view.project([lon, lat]);
  dot.setAttribute('cx', x.toFixed(1)); dot.setAttribute('cy', y.toFixed(1));
}
