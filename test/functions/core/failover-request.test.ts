import { InvalidRequestError, validateFailoverRequest } from '../../../functions/core/failover-request';

test('accepts the five triggers, trimming reasons and defaulting flags to false', () => {
  expect(validateFailoverRequest({ trigger: 'alarm', alarmName: 'a' })).toEqual({ trigger: 'alarm', alarmName: 'a', reason: '' });
  expect(validateFailoverRequest({ trigger: 'operator', reason: ' region outage ' }))
    .toEqual({ trigger: 'operator', reason: 'region outage', force: false, switchover: false, confirmPrimaryDead: false });
  expect(validateFailoverRequest({ trigger: 'operator', reason: 'r', force: true, switchover: true }))
    .toEqual({ trigger: 'operator', reason: 'r', force: true, switchover: true, confirmPrimaryDead: false });
  expect(validateFailoverRequest({ trigger: 'operator', reason: 'r', confirmPrimaryDead: true }))
    .toEqual({ trigger: 'operator', reason: 'r', force: false, switchover: false, confirmPrimaryDead: true });
  expect(validateFailoverRequest({ trigger: 'resume', extra: 1 })).toEqual({ trigger: 'resume' });
  expect(validateFailoverRequest({ trigger: 'cancel', reason: ' false alarm ' })).toEqual({ trigger: 'cancel', reason: 'false alarm' });
  expect(validateFailoverRequest({ trigger: 'reprotect', reason: ' after the failover ' })).toEqual({ trigger: 'reprotect', reason: 'after the failover' });
});

test.each([
  [null, 'request must be an object'],
  [[], 'request must be an object'],
  [{ trigger: 'promote' }, 'trigger must be "alarm", "operator", "resume", "cancel" or "reprotect", got "promote"'],
  [{ trigger: 'reprotect' }, 'reason is required and must be a non-empty string'],
  [{ trigger: 'cancel' }, 'reason is required and must be a non-empty string'],
  [{ trigger: 'operator', reason: 'r', switchover: true, confirmPrimaryDead: true }, 'switchover and confirmPrimaryDead contradict each other: a switchover needs a live primary'],
  [{ trigger: 'operator' }, 'reason is required and must be a non-empty string'],
  [{ trigger: 'operator', reason: '  ' }, 'reason is required and must be a non-empty string'],
  [{ trigger: 'operator', reason: 'r', force: 'yes' }, 'force must be true or false'],
  [{ trigger: 'operator', reason: 'x'.repeat(501) }, 'reason must be at most 500 characters'],
  [{ trigger: 'alarm', alarmName: 5 }, 'alarmName must be a string'],
])('rejects %j: %s', (input, message) => {
  expect(() => validateFailoverRequest(input)).toThrow(new InvalidRequestError(message));
});
