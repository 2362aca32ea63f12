import {
  atMostOnePromotion, boundedLoss, failedWritesNeverCommit, noFalseFailover, noMissedFailover, noStaleAcknowledgements, oneWriter,
} from '../../../../functions/local-drill/history/checks';
import type { AcknowledgedOperation, FailedOperation, History, HistoryEvent, IndeterminateOperation, OperationPath, ServerId } from '../../../../functions/local-drill/history/history';

// A physical replica shares its primary's system identifier: only the address tells them apart.
const OLD_PRIMARY: ServerId = '7714060227384249367@127.0.0.1:5432';
const NEW_WRITER: ServerId = '7714060227384249367@127.0.0.1:5433';
const THIRD: ServerId = '7714060227384249367@127.0.0.1:5434';

let sequence = 0;
const base = (client: string, invokedAt: number, completedAt: number, path: OperationPath = 'endpoint') =>
  ({ client, path, id: `${client}:${++sequence}`, invokedAt, completedAt });
const ok = (server: ServerId, completedAt: number, client = 'endpoint-1', path: OperationPath = 'endpoint'): AcknowledgedOperation =>
  ({ ...base(client, completedAt - 5, completedAt, path), outcome: 'ok', server });
const fail = (completedAt: number, error: string, server?: ServerId): FailedOperation =>
  ({ ...base('endpoint-2', completedAt - 5, completedAt), outcome: 'fail', error, ...(server ? { server } : {}) });
const info = (server: ServerId, invokedAt: number, completedAt: number): IndeterminateOperation =>
  ({ ...base('endpoint-3', invokedAt, completedAt), outcome: 'info', error: 'Query read timeout', server });
const ids = (events: readonly HistoryEvent[]) => new Set(events.map((event) => event.id));

/**
 * A crash failover as the endpoint's clients see it, in ms: the old primary acknowledges writes until the crash
 * at 1000 (its last two never reached the replica), one COMMIT in flight is lost with the connection (info),
 * connects are refused while the endpoint points at the dead node, and the promoted replica acknowledges from 2000.
 */
const beforeCrash = [100, 300, 500, 700, 900, 950].map((at) => ok(OLD_PRIMARY, at));
const unreplicated = beforeCrash.slice(-2);
const inFlightAtCrash = info(OLD_PRIMARY, 990, 1500);
const refused = [1100, 1300, 1600].map((at) => fail(at, 'connect ECONNREFUSED 127.0.0.1:5432'));
const afterPromotion = [2000, 2100, 2300].map((at) => ok(NEW_WRITER, at));
const cleanFailover: History = [...beforeCrash, inFlightAtCrash, ...refused, ...afterPromotion];
/** Everything acknowledged except the two commits the replica lacked; the in-flight COMMIT did not survive either. */
const survivorOfCleanFailover = new Set([...ids(beforeCrash)].filter((id) => !ids(unreplicated).has(id)).concat([...ids(afterPromotion)]));

/** The same, but a client connected directly to the old primary keeps getting acknowledgements after the takeover. */
const staleAcks = [2050, 2400].map((at) => ok(OLD_PRIMARY, at, 'direct-1', 'direct'));
const splitBrain: History = [...cleanFailover, ...staleAcks];

describe('a clean failover history', () => {
  test('passes every check', () => {
    const observation = { promoted: true, failoverExpected: true };
    const results = [
      oneWriter(cleanFailover),
      noStaleAcknowledgements(cleanFailover, { oldPrimary: OLD_PRIMARY, newWriter: NEW_WRITER }),
      boundedLoss(cleanFailover, { survivingIds: survivorOfCleanFailover, lossBound: unreplicated.length }),
      failedWritesNeverCommit(cleanFailover, survivorOfCleanFailover),
      atMostOnePromotion(1),
      noFalseFailover(observation),
      noMissedFailover(observation),
    ];

    expect(results.filter((result) => !result.passed)).toEqual([]);
    expect(results.map((result) => result.name)).toEqual([
      'one writer', 'no stale acknowledgements', 'bounded loss', 'failed writes never commit', 'at most one promotion', 'no false failover', 'no missed failover',
    ]);
  });

  test('one writer reports the tenures, one at a time', () => {
    const result = oneWriter(cleanFailover);

    expect(result).toMatchObject({ passed: true, maxConcurrentWriters: 1, counterexample: [] });
    expect(result.detail).toBe(`2 server(s) acknowledged writes, never two at once: ${OLD_PRIMARY} [+0.005 s, +0.855 s] (6 acks), ${NEW_WRITER} [+1.905 s, +2.205 s] (3 acks)`);
  });

  test('bounded loss counts the two unreplicated commits, ignores the indeterminate one, and spans them as RPO', () => {
    const result = boundedLoss(cleanFailover, { survivingIds: survivorOfCleanFailover, lossBound: 2 });

    expect(result).toMatchObject({ passed: true, lost: 2, rpoSeconds: 0.05, counterexample: [] });
    expect(result.detail).toBe('2 of 9 acknowledged writes missing on the surviving writer (bound 2), acknowledged from +0.805 s to +0.855 s; RPO 0.05 s');
  });
});

describe('split brain: the old primary acknowledges writes after the new writer\'s first acknowledgement', () => {
  test('one writer fails with two concurrent writers, and the late acknowledgements as counterexample', () => {
    const result = oneWriter(splitBrain);

    expect(result).toMatchObject({ passed: false, maxConcurrentWriters: 2 });
    expect(result.counterexample).toEqual([afterPromotion[0], ...staleAcks]);
    expect(result.detail).toBe(`2 servers acknowledged writes at the same time: ${OLD_PRIMARY} acknowledged 2 write(s) from +1.955 s to +2.305 s, `
      + `at or after ${NEW_WRITER}'s first acknowledgement at +1.905 s (e.g. ${staleAcks[0].id} by direct-1)`);
  });

  test('no stale acknowledgements fails with the count and the span', () => {
    const result = noStaleAcknowledgements(splitBrain, { oldPrimary: OLD_PRIMARY, newWriter: NEW_WRITER });

    expect(result).toMatchObject({ passed: false, staleAcknowledgements: 2, counterexample: staleAcks });
    expect(result.detail).toBe(`the old primary ${OLD_PRIMARY} acknowledged 2 write(s) from +1.955 s to +2.305 s `
      + `(up to 0.4 s after the new writer's first acknowledgement at +1.905 s), e.g. ${staleAcks[0].id} by direct-1`);
  });
});

describe('one writer', () => {
  test('a hand-off one millisecond apart is one writer; an acknowledgement in the same millisecond is two', () => {
    const handOff = [ok(OLD_PRIMARY, 100), ok(OLD_PRIMARY, 200), ok(NEW_WRITER, 201)];
    const sameInstant = [ok(OLD_PRIMARY, 100), ok(OLD_PRIMARY, 200), ok(NEW_WRITER, 200)];

    expect(oneWriter(handOff)).toMatchObject({ passed: true, maxConcurrentWriters: 1 });
    expect(oneWriter(sameInstant)).toMatchObject({ passed: false, maxConcurrentWriters: 2 });
  });

  test('counts the most servers writing at one instant, not the number of overlapping pairs', () => {
    // A overlaps B and C, but B and C never overlap each other: at most two at once.
    const chain = [ok(OLD_PRIMARY, 100), ok(NEW_WRITER, 150), ok(NEW_WRITER, 250), ok(OLD_PRIMARY, 300), ok(THIRD, 280), ok(THIRD, 400)];
    const allThree = [ok(OLD_PRIMARY, 100), ok(NEW_WRITER, 150), ok(THIRD, 160), ok(OLD_PRIMARY, 200), ok(NEW_WRITER, 200)];

    expect(oneWriter(chain)).toMatchObject({ passed: false, maxConcurrentWriters: 2 });
    expect(oneWriter(allThree)).toMatchObject({ passed: false, maxConcurrentWriters: 3 });
  });

  test('failed and indeterminate operations on another server are not writes', () => {
    const history = [ok(OLD_PRIMARY, 100), fail(150, '25006: cannot execute INSERT in a read-only transaction', NEW_WRITER), info(NEW_WRITER, 120, 170), ok(OLD_PRIMARY, 200)];

    expect(oneWriter(history)).toMatchObject({ passed: true, maxConcurrentWriters: 1 });
  });

  test('an empty history has no writer and passes', () => {
    expect(oneWriter([])).toMatchObject({ passed: true, maxConcurrentWriters: 0, detail: '0 server(s) acknowledged writes, never two at once: none' });
  });
});

describe('no stale acknowledgements', () => {
  test('holds when the new writer never acknowledged anything', () => {
    const result = noStaleAcknowledgements(beforeCrash, { oldPrimary: OLD_PRIMARY, newWriter: NEW_WRITER });

    expect(result).toMatchObject({ passed: true, staleAcknowledgements: 0, detail: `the new writer ${NEW_WRITER} acknowledged no write` });
  });
});

describe('bounded loss', () => {
  test('fails when more acknowledged writes are missing than the bound, listing them', () => {
    const result = boundedLoss(cleanFailover, { survivingIds: survivorOfCleanFailover, lossBound: 1 });

    expect(result).toMatchObject({ passed: false, lost: 2, rpoSeconds: 0.05, counterexample: unreplicated });
  });

  test('a single lost write has an RPO span of 0 s, and the loss still counts against a bound of 0', () => {
    const survivor = new Set([...survivorOfCleanFailover, unreplicated[0].id]);

    expect(boundedLoss(cleanFailover, { survivingIds: survivor, lossBound: 0 })).toMatchObject({ passed: false, lost: 1, rpoSeconds: 0 });
  });

  test('an unreadable survivor is an unknown loss and an unknown RPO, and fails', () => {
    const result = boundedLoss(cleanFailover, { survivingIds: undefined, lossBound: 2 });

    expect(result).toMatchObject({ passed: false, lost: 'unknown', rpoSeconds: 'unknown' });
    expect(result.detail).toBe('the surviving writer\'s rows are unknown, so the loss among 9 acknowledged writes cannot be bounded by 2');
  });
});

describe('failed writes never commit', () => {
  test('fails when a write recorded as failed is on the database', () => {
    const misclassified = fail(1200, 'Connection terminated unexpectedly', OLD_PRIMARY);
    const history = [...cleanFailover, misclassified];

    const result = failedWritesNeverCommit(history, new Set([...survivorOfCleanFailover, misclassified.id]));

    expect(result).toMatchObject({ passed: false, counterexample: [misclassified] });
    expect(result.detail).toBe(`1 of 4 writes recorded as failed are on the database, e.g. ${misclassified.id} by endpoint-2: Connection terminated unexpectedly`);
  });

  test('an indeterminate write on the database is allowed: it may have committed', () => {
    expect(failedWritesNeverCommit(cleanFailover, new Set([...survivorOfCleanFailover, inFlightAtCrash.id])).passed).toBe(true);
  });
});

describe('promotions and failover decisions', () => {
  test('at most one promotion: zero and one pass, two fail', () => {
    expect([0, 1, 2].map((promotions) => atMostOnePromotion(promotions).passed)).toEqual([true, true, false]);
    expect(atMostOnePromotion(2).detail).toBe('2 promotion(s) observed');
  });

  test('no false failover fails only on a promotion nobody expected', () => {
    const cases = [[true, true], [true, false], [false, true], [false, false]] as const;

    expect(cases.map(([promoted, failoverExpected]) => noFalseFailover({ promoted, failoverExpected }).passed)).toEqual([true, false, true, true]);
  });

  test('no missed failover fails only when an expected promotion did not happen', () => {
    const cases = [[true, true], [true, false], [false, true], [false, false]] as const;

    expect(cases.map(([promoted, failoverExpected]) => noMissedFailover({ promoted, failoverExpected }).passed)).toEqual([true, true, false, true]);
  });
});
