import { StatusBoard, formatUtilization } from '../src';

const status = (host: string, service: string, state = 2, text = 'idle') => ({
  host,
  workflows: '0.1.0',
  status: state,
  statustext: text,
  service,
  serviceclass: service,
  utilization: { '2': 0.9, '4': 0.1 },
});

describe('StatusBoard', () => {
  it('keeps the latest status of each instance and drops those not heard from for 15 s', () => {
    const board = new StatusBoard();
    board.update(status('uk.ac.diamond.ws1.1', 'Dispatcher'), 0);
    board.update(status('uk.ac.diamond.ws2.7', 'Dispatcher', 4, 'processing'), 1000);
    board.update(status('uk.ac.diamond.ws1.1', 'Dispatcher', 4, 'processing'), 2000);
    board.update(
      { host: 'uk.ac.diamond.ws3.9', task: 'xia2', status: 4, statustext: 'processing', workflows: '3' },
      3000,
    );
    expect(board.update({ not: 'a status' })).toBe(false);
    expect(board.current(3000).map((entry) => [entry.host, entry.service, entry.statustext])).toEqual([
      ['uk.ac.diamond.ws1.1', 'Dispatcher', 'processing'],
      ['uk.ac.diamond.ws2.7', 'Dispatcher', 'processing'],
      ['uk.ac.diamond.ws3.9', 'xia2', 'processing'],
    ]);
    expect(board.current(16500).map((entry) => entry.host)).toEqual([
      'uk.ac.diamond.ws1.1',
      'uk.ac.diamond.ws3.9',
    ]);
    expect(board.current(18500)).toEqual([]);
  });

  it('renders a table: host, service, state, utilization, last seen', () => {
    const board = new StatusBoard();
    board.update(status('uk.ac.diamond.ws1.1', 'Dispatcher'), 0);
    expect(board.render(3000)).toBe(
      [
        'HOST                 SERVICE     STATE  UTILIZATION                LAST SEEN',
        'uk.ac.diamond.ws1.1  Dispatcher  idle   idle 90% · processing 10%  3s ago',
        '',
      ].join('\n'),
    );
    expect(new StatusBoard().render()).toBe('No service status received.\n');
  });

  it('formats utilization, most time first', () => {
    expect(formatUtilization({ '2': 0.25, '4': 0.75 })).toBe('processing 75% · idle 25%');
    expect(formatUtilization({})).toBe('-');
  });
});
