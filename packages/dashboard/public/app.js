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

// ---- queues ---------------------------------------------------------------------------------

let lastQueues = { rows: [] };

function rate(value) {
  return value === undefined ? '–' : value.toFixed(1);
}

function renderQueues(data = lastQueues) {
  lastQueues = data;
  const filter = document.getElementById('queue-filter').value.trim();
  const rows = data.rows.filter((row) => filter === '' || row.name.includes(filter));
  const alerting = rows.filter((row) => row.alerts.length > 0).length;
  document.getElementById('queues-summary').textContent = data.error
    ? data.error
    : `${rows.length} queue${rows.length === 1 ? '' : 's'}${alerting ? `, ${alerting} standing out` : ''} · read ${new Date(data.at).toLocaleTimeString()}`;
  const body = document.querySelector('#queues tbody');
  body.replaceChildren(
    ...rows.map((row) => {
      const why = row.alerts
        .map((alert) => (alert === 'no-consumers' ? 'no consumers' : 'depth growing'))
        .join(', ');
      const tr = el(
        'tr',
        { className: row.alerts.length ? 'queue alert' : 'queue' },
        el('td', { className: 'name', text: row.name }),
        el('td', { className: 'depth', text: row.depth }),
        el('td', { className: 'consumers', text: row.consumers }),
        el('td', { text: rate(row.inRate) }),
        el('td', { text: rate(row.outRate) }),
        el('td', { className: 'dead', text: row.deadLetters }),
        el('td', { className: 'why', text: why }),
      );
      tr.dataset.queue = row.name;
      return tr;
    }),
  );
}

// ---- dead letters ---------------------------------------------------------------------------

const selected = new Set();
let lastDlq = '';

async function post(path, body) {
  const response = await fetch(api(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-zocalo-dashboard': '1' },
    body: JSON.stringify({ ...body, confirm: true }),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error ?? `HTTP ${response.status}`);
  return answer;
}

function notice(text) {
  const box = document.getElementById('dlq-notice');
  box.hidden = false;
  box.textContent = text;
}

async function purge(queue, count) {
  if (!confirm(`Purge ${count} message(s) of ${queue} to files?`)) return;
  try {
    const result = await post('/api/dlq/purge', { queue });
    notice(`${queue}: ${result.files} message(s) saved${result.failed ? `, ${result.failed} failed` : ''}`);
  } catch (error) {
    notice(`purge failed: ${error.message}`);
  }
  await loadDlq(true);
}

async function reinject(ids) {
  const what = ids === 'all' ? 'every saved message' : `${ids.length} message(s)`;
  if (!confirm(`Reinject ${what} to the original queue?`)) return;
  try {
    const { outcomes } = await post('/api/dlq/reinject', ids === 'all' ? { all: true } : { ids });
    const sent = outcomes.filter((outcome) => outcome.status === 'sent');
    const failed = outcomes.filter((outcome) => outcome.status !== 'sent');
    notice(
      `reinjected ${sent.length} message(s)${sent.length ? ` to ${[...new Set(sent.map((o) => o.queue))].join(', ')}` : ''}` +
        (failed.length
          ? `; ${failed.length} not: ${failed.map((o) => `${o.file}: ${o.error}`).join('; ')}`
          : ''),
    );
    for (const outcome of sent) selected.delete(outcome.file);
  } catch (error) {
    notice(`reinject failed: ${error.message}`);
  }
  await loadDlq(true);
}

function savedCard(message) {
  const box = el('input');
  box.type = 'checkbox';
  box.checked = selected.has(message.id);
  box.addEventListener('change', () =>
    box.checked ? selected.add(message.id) : selected.delete(message.id),
  );
  const one = el('button', { className: 'reinject-one', text: 'Reinject' });
  one.addEventListener('click', () => reinject([message.id]));
  const title = message.error
    ? `${message.id}: not a message file (${message.error})`
    : `${message.dlq} → ${message.originalQueue} · saved ${message.savedAt} · ${message.bodyBytes} bytes`;
  const head = el(
    'h2',
    {},
    box,
    el('span', { className: 'title', text: ` ${title} ` }),
    message.error ? null : one,
  );
  const parts = [head];
  if (!message.error) {
    const flags = [];
    if (message.truncated)
      flags.push(
        `body truncated: showing the first ${message.body.length} characters of ${message.bodyBytes} bytes`,
      );
    if (message.invalidUtf8) flags.push('body is not valid UTF-8: shown with replacement characters');
    if (flags.length) parts.push(el('p', { className: 'notice flags', text: flags.join(' · ') }));
    if (message.recipePointer !== undefined || message.recipePath) {
      parts.push(
        el('p', {
          className: 'recipe',
          text: `recipe path: ${(message.recipePath ?? []).join(' → ') || '–'} · at step ${message.recipePointer ?? '?'}${message.recipeStep ? ` (${message.recipeStep})` : ''}`,
        }),
      );
    }
    if (message.deaths?.length) {
      const table = el('table', { className: 'deaths' });
      table.append(
        el('tr', {}, ...['queue', 'reason', 'count', 'exchange', 'time'].map((t) => el('th', { text: t }))),
      );
      for (const death of message.deaths) {
        table.append(
          el(
            'tr',
            {},
            ...['queue', 'reason', 'count', 'exchange', 'time'].map((key) =>
              el('td', {
                text:
                  key === 'time' && typeof death.time === 'number'
                    ? new Date(death.time * 1000).toISOString()
                    : (death[key] ?? ''),
              }),
            ),
          ),
        );
      }
      parts.push(el('p', { className: 'muted', text: 'delivery history (x-death)' }), table);
    }
    parts.push(
      el('p', { className: 'muted', text: 'headers' }),
      el('pre', { className: 'headers', text: message.headers }),
    );
    parts.push(
      el('p', { className: 'muted', text: 'body' }),
      el('pre', { className: 'body', text: message.body }),
    );
  }
  const card = el('div', { className: 'group saved' }, ...parts);
  card.dataset.id = message.id;
  return card;
}

async function loadDlq(force = false) {
  const root = document.getElementById('dlq');
  let data;
  try {
    const response = await fetch(api('/api/dlq'));
    data = await response.json();
    if (!response.ok) throw new Error(data.error ?? `HTTP ${response.status}`);
  } catch (error) {
    root.replaceChildren(el('p', { className: 'summary', text: `dead letters: ${error.message}` }));
    return;
  }
  const text = JSON.stringify(data);
  if (!force && text === lastDlq) return;
  lastDlq = text;
  const counts = data.counts.filter((count) => count.messages > 0);
  const table = el('table', { className: 'dlqs' });
  table.append(el('tr', {}, ...['dead-letter queue', 'messages', ''].map((t) => el('th', { text: t }))));
  for (const count of counts) {
    const button = el('button', { className: 'purge', text: 'Purge to files' });
    button.addEventListener('click', () => purge(count.queue, count.messages));
    const row = el(
      'tr',
      { className: 'dlq' },
      el('td', { text: count.queue }),
      el('td', { className: 'count', text: count.messages }),
      el('td', {}, button),
    );
    row.dataset.queue = count.queue;
    table.append(row);
  }
  const selectedButton = el('button', { className: 'reinject-selected', text: 'Reinject selected' });
  selectedButton.addEventListener('click', () => reinject([...selected]));
  const allButton = el('button', { className: 'reinject-all', text: 'Reinject all' });
  allButton.addEventListener('click', () => reinject('all'));
  const box = document.getElementById('dlq-notice');
  root.replaceChildren(
    el('p', {
      className: 'summary',
      text: data.error
        ? `counts: ${data.error}`
        : `${counts.reduce((sum, count) => sum + count.messages, 0)} message(s) in ${counts.length} dead-letter queue(s)`,
    }),
    table,
    el('h3', { text: `Saved messages (${data.saved.length}) in ${data.directory}` }),
    el('p', {}, selectedButton, document.createTextNode(' '), allButton),
    box,
    ...data.saved.map(savedCard),
  );
}

// ---- recipes --------------------------------------------------------------------------------

async function startRecipe(name, text, result) {
  let parameters;
  try {
    parameters = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    result.textContent = `parameters are not JSON: ${error.message}`;
    return;
  }
  if (!confirm(`Start recipe ${name}?`)) return;
  try {
    const { guid } = await post('/api/recipes/start', { recipe: name, parameters });
    result.textContent = `Submitted. Recipe ID: ${guid}`;
  } catch (error) {
    result.textContent = `not started: ${error.message}`;
  }
}

async function loadRecipes() {
  const root = document.getElementById('recipes');
  let data;
  try {
    const response = await fetch(api('/api/recipes'));
    data = await response.json();
    if (!response.ok) throw new Error(data.error ?? `HTTP ${response.status}`);
  } catch (error) {
    root.replaceChildren(el('p', { className: 'summary', text: `recipes: ${error.message}` }));
    return;
  }
  const cards = data.recipes.map((recipe) => {
    const parts = [
      el(
        'h2',
        { text: recipe.name },
        el('span', { className: 'counts', text: recipe.error ? 'invalid' : `${recipe.steps} steps` }),
      ),
    ];
    if (recipe.error) parts.push(el('p', { className: 'notice', text: recipe.error }));
    else {
      // An image: the drawing cannot run anything, whatever a recipe file holds.
      const image = el('img', { className: 'graph' });
      image.alt = `graph of ${recipe.name}`;
      image.src = api(`/api/recipes/${encodeURIComponent(recipe.name)}.svg`);
      const text = el('textarea', { className: 'parameters' });
      text.rows = 2;
      text.placeholder = '{"ispyb_dcid": 1234}';
      const result = el('span', { className: 'result' });
      const button = el('button', { className: 'start', text: 'Start' });
      button.addEventListener('click', () => startRecipe(recipe.name, text.value, result));
      parts.push(
        el('div', { className: 'graph-box' }, image),
        el('p', { className: 'muted', text: 'parameters (JSON object)' }),
        text,
        el('p', {}, button, document.createTextNode(' '), result),
      );
    }
    const card = el('div', { className: 'group recipe' }, ...parts);
    card.dataset.recipe = recipe.name;
    return card;
  });
  root.replaceChildren(
    el('p', { className: 'summary', text: `${data.recipes.length} recipe(s) in ${data.directory}` }),
    ...cards,
  );
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
  source.addEventListener('queues', (event) => renderQueues(JSON.parse(event.data)));
}

// ---- views ----------------------------------------------------------------------------------

const loaders = { dlq: () => loadDlq(), recipes: () => loadRecipes() };

function show() {
  const name = (location.hash || '#services').slice(1);
  for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== `view-${name}`;
  for (const link of document.querySelectorAll('nav a'))
    link.classList.toggle('active', link.dataset.view === name);
  loaders[name]?.();
}

window.addEventListener('hashchange', show);
window.addEventListener('DOMContentLoaded', () => {
  document.getElementById('queue-filter').addEventListener('input', () => renderQueues());
  // The dead-letter counts are read while the view is open.
  setInterval(() => {
    if (!document.getElementById('view-dlq').hidden) void loadDlq();
  }, 3000);
  show();
  connect();
});
