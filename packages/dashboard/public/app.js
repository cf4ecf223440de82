// The Zocalo dashboard page. Everything that comes from the wire is put on the page as text
// (textContent, attribute values from a fixed set), never as HTML: a service name or a message body
// holding markup shows as that markup's text.
'use strict';

const token = new URLSearchParams(location.search).get('token');

/** An API path with the token, when the page was opened with one. */
function api(path) {
  return token ? `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : path;
}

/** An element with text and classes; children appended. */
function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = String(options.text);
  if (options.title !== undefined) node.title = String(options.title);
  for (const child of children) if (child) node.append(child);
  return node;
}

const STATES = new Set([
  'new',
  'starting',
  'idle',
  'timer',
  'processing',
  'shutdown',
  'end',
  'error',
  'none',
  'teardown',
]);
const STATE_OF = {
  '-2': 'teardown',
  '-1': 'none',
  0: 'new',
  1: 'starting',
  2: 'idle',
  3: 'timer',
  4: 'processing',
  5: 'shutdown',
  6: 'end',
  7: 'error',
};

function stateBadge(status, text) {
  const name = STATE_OF[status];
  return el('span', { className: `state ${STATES.has(name) ? `state-${name}` : ''}`, text });
}

function sparkline(points) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', '90');
  svg.setAttribute('height', '20');
  svg.setAttribute('viewBox', '0 0 90 20');
  const line = document.createElementNS(ns, 'polyline');
  const step = points.length > 1 ? 90 / (points.length - 1) : 0;
  line.setAttribute(
    'points',
    points
      .map((value, index) => `${(index * step).toFixed(1)},${(19 - Number(value) * 18).toFixed(1)}`)
      .join(' '),
  );
  svg.append(line);
  return svg;
}

function utilization(map) {
  return (
    Object.entries(map)
      .filter(([, fraction]) => fraction > 0.005)
      .sort(([, a], [, b]) => b - a)
      .map(([state, fraction]) => `${state} ${Math.round(fraction * 100)}%`)
      .join(' · ') || '-'
  );
}

// ---- services -------------------------------------------------------------------------------

function renderServices(groups) {
  const root = document.getElementById('services');
  const instances = groups.reduce((sum, group) => sum + group.count, 0);
  document.getElementById('services-summary').textContent =
    instances === 0
      ? 'No service status received yet (services broadcast every few seconds).'
      : `${instances} instance${instances === 1 ? '' : 's'} of ${groups.length} service${groups.length === 1 ? '' : 's'}`;
  const sections = groups.map((group) => {
    const counts = Object.entries(group.states)
      .map(([state, count]) => `${count} ${state}`)
      .join(', ');
    const head = el(
      'h2',
      { text: group.service },
      el('span', { className: 'counts', text: `${group.count} · ${counts}` }),
    );
    const table = el('table');
    table.append(
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...['host', 'state', 'utilization', '', 'tag', 'cluster job', 'version', 'last seen'].map((t) =>
            el('th', { text: t }),
          ),
        ),
      ),
    );
    const body = el('tbody');
    for (const instance of group.instances) {
      const row = el(
        'tr',
        { className: instance.gone ? 'instance gone' : 'instance' },
        el('td', { className: 'host', text: instance.host }),
        el('td', {}, stateBadge(instance.status, instance.statustext)),
        el('td', { text: utilization(instance.utilization) }),
        el('td', {}, sparkline(instance.sparkline)),
        el('td', { text: instance.tag ?? '' }),
        el('td', { text: instance.clusterJobId ?? '' }),
        el('td', { text: instance.version ?? '' }),
        el('td', { text: `${Math.round(instance.ageSeconds)} s ago`, title: instance.lastSeen }),
      );
      row.dataset.service = instance.service;
      row.dataset.host = instance.host;
      body.append(row);
    }
    table.append(body);
    const section = el('div', { className: 'group' }, head, table);
    section.dataset.service = group.service;
    return section;
  });
  root.replaceChildren(...sections);
}

// ---- live channel ---------------------------------------------------------------------------

function connect() {
  const live = document.getElementById('live');
  const source = new EventSource(api('/api/events'));
  source.addEventListener('open', () => {
    live.className = 'live on';
    live.textContent = 'live';
  });
  source.addEventListener('error', () => {
    live.className = 'live off';
    live.textContent = 'reconnecting…';
  });
  source.addEventListener('services', (event) => renderServices(JSON.parse(event.data)));
  source.addEventListener('queues', (event) => window.zocaloQueues?.(JSON.parse(event.data)));
}

// ---- views ----------------------------------------------------------------------------------

const loaders = {};

function show() {
  const name = (location.hash || '#services').slice(1);
  for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== `view-${name}`;
  for (const link of document.querySelectorAll('nav a'))
    link.classList.toggle('active', link.dataset.view === name);
  loaders[name]?.();
}

window.addEventListener('hashchange', show);
window.addEventListener('DOMContentLoaded', () => {
  show();
  connect();
});
