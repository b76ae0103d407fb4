// Overview: sign-ups, sign-ins and failed sign-ins per day over the last 30 days, as a chart and, for
// people who cannot see the chart, as a table of the same numbers.
import { api } from '../api.js';
import { h, table } from '../dom.js';
import { failure, heading } from './page.js';

const days = 30;

/** YYYY-MM-DD of a UTC day `offset` days from today. */
function utcDay(offset) {
  const date = new Date();
  date.setUTCDate(date.getUTCDate() + offset);
  return date.toISOString().slice(0, 10);
}

// Colours that keep 3:1 against white; the series differ also by dashes and point shapes, not colour alone.
const series = [
  { key: 'signUps', label: 'Sign-ups', colour: '#1d4ed8', dash: [], point: 'circle' },
  { key: 'signIns', label: 'Sign-ins', colour: '#047857', dash: [6, 4], point: 'rect' },
  { key: 'failedSignIns', label: 'Failed sign-ins', colour: '#b91c1c', dash: [2, 3], point: 'triangle' },
];

export async function renderOverview(main) {
  const from = utcDay(-(days - 1));
  const to = utcDay(0);
  main.append(heading('Overview'), h('p', {}, `Activity per UTC day, ${from} to ${to}.`));
  let activity;
  try {
    activity = await api('GET', `/activity?from=${from}&to=${to}`);
  } catch (error) {
    main.append(failure(error));
    return;
  }
  const rows = activity.days;
  const totals = Object.fromEntries(
    [...series, { key: 'lockouts' }].map(({ key }) => [key, rows.reduce((sum, day) => sum + day[key], 0)]),
  );
  main.append(
    h(
      'ul',
      { className: 'totals', 'aria-label': `Totals over ${days} days` },
      total(totals.signUps, 'sign-up'),
      total(totals.signIns, 'sign-in'),
      total(totals.failedSignIns, 'failed sign-in'),
      total(totals.lockouts, 'lockout'),
    ),
  );
  const canvas = h('canvas', {
    role: 'img',
    'aria-label': 'Sign-ups and sign-ins per day',
    id: 'activity-chart',
  });
  main.append(
    h('figure', { className: 'chart' }, h('div', { className: 'chart-box' }, canvas)),
    table(
      'Sign-ups and sign-ins per day (the numbers in the chart)',
      ['Day (UTC)', 'Sign-ups', 'Sign-ins', 'Failed sign-ins', 'Lockouts'],
      rows.map((day) => [day.date, day.signUps, day.signIns, day.failedSignIns, day.lockouts]),
    ),
  );
  drawChart(canvas, rows);
}

function total(count, noun) {
  return h('li', {}, h('strong', {}, String(count)), ` ${noun}${count === 1 ? '' : 's'}`);
}

function drawChart(canvas, rows) {
  // chart.js's UMD build, loaded by index.html before this module
  const { Chart } = window;
  new Chart(canvas, {
    type: 'line',
    data: {
      labels: rows.map((day) => day.date.slice(5)),
      // equal numbers draw one line over another: the solid one goes under the dashed ones (chart.js draws
      // a lower `order` on top), and each series marks its points with a shape of its own
      datasets: series.map(({ key, label, colour, dash, point }, index) => ({
        label,
        data: rows.map((day) => day[key]),
        borderColor: colour,
        backgroundColor: colour,
        borderDash: dash,
        borderWidth: 2,
        pointStyle: point,
        pointRadius: 3,
        order: series.length - index,
        tension: 0,
      })),
    },
    options: {
      // drawn at once: nothing moves for people who asked for less motion, and the picture is final at once
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        y: { beginAtZero: true, ticks: { precision: 0, color: '#374151' } },
        x: { ticks: { color: '#374151' } },
      },
      // the legend draws each series as its line, dashes included
      // (in the series' own order, not the drawing order)
      plugins: {
        legend: {
          labels: {
            color: '#111827',
            usePointStyle: true,
            pointStyle: 'line',
            sort: (a, b) => a.datasetIndex - b.datasetIndex,
          },
        },
      },
    },
  });
}
