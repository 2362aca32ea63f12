import { HistoryRecorder, monotonicEpochMs } from '../../../../functions/local-drill/history/history';

const SERVER = '7714060227384249367@127.0.0.1:5432';

test('each operation becomes one event with its invoke and completion times, in completion order', () => {
  let now = 1000;
  const recorder = new HistoryRecorder(() => now);
  const first = recorder.invoke({ client: 'endpoint-1', path: 'endpoint', id: 'endpoint-1:1' });
  now = 1010;
  const second = recorder.invoke({ client: 'direct-1', path: 'direct', id: 'direct-1:1' });
  const third = recorder.invoke({ client: 'endpoint-2', path: 'endpoint', id: 'endpoint-2:1' });
  now = 1020;
  second.fail('connect ECONNREFUSED 127.0.0.1:5432');
  now = 1030;
  first.info('Query read timeout', SERVER);
  now = 1040;
  third.ok(SERVER);

  expect(recorder.events).toEqual([
    { client: 'direct-1', path: 'direct', id: 'direct-1:1', invokedAt: 1010, completedAt: 1020, outcome: 'fail', error: 'connect ECONNREFUSED 127.0.0.1:5432' },
    { client: 'endpoint-1', path: 'endpoint', id: 'endpoint-1:1', invokedAt: 1000, completedAt: 1030, outcome: 'info', error: 'Query read timeout', server: SERVER },
    { client: 'endpoint-2', path: 'endpoint', id: 'endpoint-2:1', invokedAt: 1010, completedAt: 1040, outcome: 'ok', server: SERVER },
  ]);
});

test('an operation in flight is not in the history, and one cannot complete twice', () => {
  const recorder = new HistoryRecorder(() => 0);
  const operation = recorder.invoke({ client: 'endpoint-1', path: 'endpoint', id: 'endpoint-1:1' });
  expect(recorder.events).toEqual([]);

  operation.fail('25006: cannot execute INSERT in a read-only transaction', SERVER);

  expect(() => operation.ok(SERVER)).toThrow('operation endpoint-1:1 completed twice');
  expect(recorder.events).toHaveLength(1);
});

test('the default clock is epoch milliseconds that never go backwards', () => {
  const readings = Array.from({ length: 1000 }, () => monotonicEpochMs());

  expect(readings.every((reading, index) => index === 0 || reading >= readings[index - 1])).toBe(true);
  expect(Math.abs(readings[0] - Date.now())).toBeLessThan(1000);
});
