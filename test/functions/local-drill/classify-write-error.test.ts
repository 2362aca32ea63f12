import { DatabaseError } from 'pg';
import { classifyWriteError } from '../../../functions/local-drill/client-load';

const serverError = (severity: string, code: string, message: string) => Object.assign(new DatabaseError(message, 0, 'error'), { severity, code });
const readOnly = serverError('ERROR', '25006', 'cannot execute INSERT in a read-only transaction');
const serializationFailure = serverError('ERROR', '40001', 'could not serialize access due to read/write dependencies among transactions');
const terminatedWhileWaitingForStandby = serverError('FATAL', '57P01', 'terminating connection due to administrator command');
const readTimeout = new Error('Query read timeout');
const connectionLost = new Error('Connection terminated unexpectedly');
const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

test('before COMMIT is sent nothing can commit: every error is a definite failure', () => {
  const errors = [readOnly, terminatedWhileWaitingForStandby, readTimeout, connectionLost, reset];

  expect(errors.map((error) => classifyWriteError(false, error))).toEqual(['fail', 'fail', 'fail', 'fail', 'fail']);
});

test('after COMMIT is sent only the server\'s ERROR proves a rollback; a FATAL, a timeout or a lost connection is unknown', () => {
  expect(classifyWriteError(true, serializationFailure)).toBe('fail');
  expect(classifyWriteError(true, readOnly)).toBe('fail');
  expect([terminatedWhileWaitingForStandby, readTimeout, connectionLost, reset, 'not an error'].map((error) => classifyWriteError(true, error)))
    .toEqual(['info', 'info', 'info', 'info', 'info']);
});

test('a localized severity is not trusted as a rollback: unknown, never a false failure', () => {
  expect(classifyWriteError(true, serverError('ERREUR', '40001', 'could not serialize access'))).toBe('info');
});
