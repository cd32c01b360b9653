#!/usr/bin/env node
// Draws Outpost's icons and writes them as PNGs into resources/: the app icon (1024x1024; electron-builder
// derives the .icns, .ico and Linux sizes from it) and one tray icon per sync state (16x16 and @2x 32x32).
// Shapes are signed distance functions, so every size is drawn from the same geometry with smooth edges.
// Run: node scripts/icons.mjs
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;

// --- geometry (unit square, y down) ---
const circle = (cx, cy, r) => (x, y) => Math.hypot(x - cx, y - cy) - r;
const ring = (cx, cy, r, w) => (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - r) - w / 2;
const segment = (ax, ay, bx, by, w) => (x, y) => {
  const px = x - ax, py = y - ay, dx = bx - ax, dy = by - ay;
  const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - t * dx, py - t * dy) - w / 2;
};
const roundedBox = (cx, cy, hw, hh, r) => (x, y) => {
  const qx = Math.abs(x - cx) - hw + r, qy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};
/** keeps the part of a shape whose angle around (cx, cy) lies in [from, to] (radians, 0 = right, y down) */
const arc = (shape, cx, cy, from, to) => (x, y) => {
  const a = Math.atan2(y - cy, x - cx);
  return a >= from && a <= to ? shape(x, y) : Infinity;
};
/** a filled triangle (exact signed distance) */
const triangle = (p0, p1, p2) => (x, y) => {
  const e = [[p1[0] - p0[0], p1[1] - p0[1]], [p2[0] - p1[0], p2[1] - p1[1]], [p0[0] - p2[0], p0[1] - p2[1]]];
  const v = [[x - p0[0], y - p0[1]], [x - p1[0], y - p1[1]], [x - p2[0], y - p2[1]]];
  const s = Math.sign(e[0][0] * e[2][1] - e[0][1] * e[2][0]);
  let d = Infinity, inside = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = Math.max(0, Math.min(1, (v[i][0] * e[i][0] + v[i][1] * e[i][1]) / (e[i][0] ** 2 + e[i][1] ** 2)));
    d = Math.min(d, Math.hypot(v[i][0] - e[i][0] * t, v[i][1] - e[i][1] * t));
    inside = Math.min(inside, s * (v[i][0] * e[i][1] - v[i][1] * e[i][0]));
  }
  return inside > 0 ? -d : d;
};
/** an arrowhead at angle a on a circle, pointing clockwise (y down) */
const arrowhead = (cx, cy, r, a, size) => {
  const px = cx + r * Math.cos(a), py = cy + r * Math.sin(a);
  const tx = -Math.sin(a), ty = Math.cos(a), nx = Math.cos(a), ny = Math.sin(a);
  return triangle([px + tx * size, py + ty * size], [px + nx * size, py + ny * size], [px - nx * size, py - ny * size]);
};
const union = (...shapes) => (x, y) => Math.min(...shapes.map((s) => s(x, y)));
const subtract = (a, b) => (x, y) => Math.max(a(x, y), -b(x, y));

const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
const white = hex('#ffffff');

/** layers: [{shape, color: [r,g,b] or (x,y)=>[r,g,b]}], painted in order over transparency */
function render(size, layers) {
  const rgba = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const x = (px + 0.5) / size, y = (py + 0.5) / size;
      let r = 0, g = 0, b = 0, a = 0;
      for (const layer of layers) {
        // coverage from the distance in pixels: a one-pixel soft edge at every size
        const coverage = Math.max(0, Math.min(1, 0.5 - layer.shape(x, y) * size));
        if (coverage === 0) continue;
        const c = typeof layer.color === 'function' ? layer.color(x, y) : layer.color;
        const outA = coverage + a * (1 - coverage);
        r = (c[0] * coverage + r * a * (1 - coverage)) / outA;
        g = (c[1] * coverage + g * a * (1 - coverage)) / outA;
        b = (c[2] * coverage + b * a * (1 - coverage)) / outA;
        a = outA;
      }
      const i = (py * size + px) * 4;
      rgba[i] = Math.round(r);
      rgba[i + 1] = Math.round(g);
      rgba[i + 2] = Math.round(b);
      rgba[i + 3] = Math.round(a * 255);
    }
  }
  return rgba;
}

// --- the icons ---
function appIcon(size) {
  const top = hex('#14b8a6'), bottom = hex('#134e4a');
  const gradient = (_x, y) => top.map((t, k) => t + (bottom[k] - t) * y);
  const mast = union(
    circle(0.5, 0.4, 0.075),
    segment(0.5, 0.4, 0.36, 0.8, 0.06),
    segment(0.5, 0.4, 0.64, 0.8, 0.06),
    segment(0.4, 0.66, 0.6, 0.66, 0.045),
    segment(0.3, 0.8, 0.7, 0.8, 0.06),
  );
  const waves = union(
    arc(ring(0.5, 0.4, 0.17, 0.045), 0.5, 0.4, -Math.PI * 0.85, -Math.PI * 0.15),
    arc(ring(0.5, 0.4, 0.27, 0.045), 0.5, 0.4, -Math.PI * 0.85, -Math.PI * 0.15),
  );
  return render(size, [
    { shape: roundedBox(0.5, 0.5, 0.44, 0.44, 0.2), color: gradient },
    { shape: union(mast, waves), color: white },
  ]);
}

const check = union(segment(0.3, 0.52, 0.44, 0.66, 0.13), segment(0.44, 0.66, 0.71, 0.36, 0.13));
const trayGlyphs = {
  synced: { color: '#16a34a', glyph: check },
  syncing: {
    color: '#2563eb',
    // two arrows chasing each other around a circle
    glyph: union(
      arc(ring(0.5, 0.5, 0.21, 0.1), 0.5, 0.5, -Math.PI + 0.45, -0.55),
      arc(ring(0.5, 0.5, 0.21, 0.1), 0.5, 0.5, 0.45, Math.PI - 0.55),
      arrowhead(0.5, 0.5, 0.21, -0.55, 0.13),
      arrowhead(0.5, 0.5, 0.21, Math.PI - 0.55, 0.13),
    ),
  },
  offline: { color: '#6b7280', glyph: union(ring(0.5, 0.5, 0.2, 0.1), segment(0.3, 0.7, 0.7, 0.3, 0.11)) },
  paused: { color: '#d97706', glyph: union(segment(0.4, 0.32, 0.4, 0.68, 0.13), segment(0.6, 0.32, 0.6, 0.68, 0.13)) },
  conflicts: { color: '#ea580c', glyph: union(segment(0.5, 0.27, 0.5, 0.56, 0.14), circle(0.5, 0.72, 0.08)) },
  error: { color: '#dc2626', glyph: union(segment(0.34, 0.34, 0.66, 0.66, 0.13), segment(0.66, 0.34, 0.34, 0.66, 0.13)) },
};

function trayIcon(state, size) {
  const { color, glyph } = trayGlyphs[state];
  // the glyph is cut out of the disc, so the icon reads on light and dark menu bars alike
  return render(size, [{ shape: subtract(circle(0.5, 0.5, 0.47), glyph), color: hex(color) }]);
}

/** Every icon as raw RGBA, keyed by its file name under resources/. */
export function renderIcons() {
  const icons = [{ name: 'icon.png', size: 1024, rgba: appIcon(1024) }];
  for (const state of Object.keys(trayGlyphs)) {
    icons.push({ name: `tray-${state}.png`, size: 16, rgba: trayIcon(state, 16) });
    icons.push({ name: `tray-${state}@2x.png`, size: 32, rgba: trayIcon(state, 32) });
  }
  return icons;
}

// --- PNG encoding (8-bit RGBA, filter 0) ---
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
export function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) Buffer.from(rgba.buffer, rgba.byteOffset + y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = join(root, 'resources');
  mkdirSync(dir, { recursive: true });
  for (const icon of renderIcons()) {
    writeFileSync(join(dir, icon.name), encodePng(icon.size, icon.rgba));
    console.log(`icons: resources/${icon.name} (${icon.size}x${icon.size})`);
  }
}
