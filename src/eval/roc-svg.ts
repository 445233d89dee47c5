import type { RocPoint } from './metrics.js';

/** One curve of a ROC chart. */
export interface RocSeries {
  label: string;
  points: readonly RocPoint[];
}

/** A labelled operating point drawn as a dot (e.g. a preset threshold). */
export interface RocMarker {
  far: number;
  tar: number;
  label: string;
}

/** Chart options. */
export interface RocChartOptions {
  title: string;
  markers?: readonly RocMarker[];
  /** Smallest FAR on the log axis (default 1e-5). */
  minFar?: number;
}

const W = 720;
const H = 480;
const M = { left: 64, right: 24, top: 40, bottom: 52 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (x: number): string => x.toFixed(1);

/**
 * Renders ROC curves as a standalone SVG (no dependency): FAR on a log10 axis from `minFar` to 1, TAR on a linear
 * axis. Each curve is drawn as the staircase TAR(FAR) and thinned to at most one vertex pair per pixel column.
 */
export function renderRocSvg(series: readonly RocSeries[], options: RocChartOptions): string {
  const minFar = options.minFar ?? 1e-5;
  const lo = Math.log10(minFar);
  const visible = series.flatMap((s) => s.points.filter((p) => p.far >= minFar).map((p) => p.tar));
  const lowestTar = visible.length > 0 ? Math.min(...visible) : 0;
  const yMin = Math.max(0, Math.floor(lowestTar * 10) / 10);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (far: number): number => M.left + ((Math.log10(Math.max(far, minFar)) - lo) / -lo) * pw;
  const y = (tar: number): number => M.top + (1 - (Math.max(tar, yMin) - yMin) / (1 - yMin || 1)) * ph;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(options.title)}</text>`,
  ];
  for (let e = Math.ceil(lo); e <= 0; e++) {
    const px = fmt(x(10 ** e));
    parts.push(
      `<line x1="${px}" y1="${M.top}" x2="${px}" y2="${M.top + ph}" stroke="#ddd"/>`,
      `<text x="${px}" y="${M.top + ph + 18}" text-anchor="middle">1e${e}</text>`,
    );
  }
  const step = (1 - yMin) / 5;
  for (let k = 0; k <= 5; k++) {
    const tar = yMin + k * step;
    const py = fmt(y(tar));
    parts.push(
      `<line x1="${M.left}" y1="${py}" x2="${M.left + pw}" y2="${py}" stroke="#ddd"/>`,
      `<text x="${M.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${(tar * 100).toFixed(0)}%</text>`,
    );
  }
  parts.push(
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">false accept rate (log scale)</text>`,
    `<text x="16" y="${M.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${M.top + ph / 2})">true accept rate</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] as string;
    parts.push(
      `<path d="${stairs(s.points, x, y)}" fill="none" stroke="${color}" stroke-width="2"/>`,
      `<line x1="${M.left + 10}" y1="${M.top + 14 + i * 16}" x2="${M.left + 30}" y2="${M.top + 14 + i * 16}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${M.left + 36}" y="${M.top + 14 + i * 16}" dominant-baseline="middle">${esc(s.label)}</text>`,
    );
  });
  for (const m of options.markers ?? []) {
    if (m.far < minFar) continue;
    parts.push(
      `<circle cx="${fmt(x(m.far))}" cy="${fmt(y(m.tar))}" r="4" fill="#000"/>`,
      `<text x="${fmt(x(m.far) + 6)}" y="${fmt(y(m.tar) + 14)}">${esc(m.label)}</text>`,
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function stairs(points: readonly RocPoint[], x: (far: number) => number, y: (tar: number) => number): string {
  const d: string[] = [];
  let lastCol = Number.NaN;
  let prevTar = 0;
  let started = false;
  for (const p of points) {
    const px = Math.round(x(p.far));
    if (!started) {
      d.push(`M${fmt(x(p.far))},${fmt(y(p.tar))}`);
      started = true;
    } else if (px === lastCol) {
      d.push(`V${fmt(y(p.tar))}`);
    } else {
      d.push(`H${fmt(x(p.far))}`, `V${fmt(y(p.tar))}`);
    }
    prevTar = p.tar;
    lastCol = px;
  }
  if (started) d.push(`H${fmt(x(1))}`, `V${fmt(y(prevTar))}`);
  return thin(d);
}

function thin(commands: string[]): string {
  // consecutive V commands in one column collapse into the last one
  const out: string[] = [];
  for (const c of commands) {
    if (c.startsWith('V') && out.at(-1)?.startsWith('V')) out[out.length - 1] = c;
    else out.push(c);
  }
  return out.join('');
}
