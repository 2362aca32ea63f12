import {
  arn, commaList, integer, oneOf, optional, optionalVariables, positiveInteger, readEnvironment, requiredVariables, text, withDefault,
} from '../../../functions/shared/environment';

const SPEC = {
  table: text('TABLE'),
  port: integer('PORT', { min: 1, max: 65535 }),
  budget: positiveInteger('BUDGET'),
  topicArn: arn('TOPIC_ARN'),
  alarms: commaList('ALARMS'),
  attempts: withDefault(integer('ATTEMPTS', { min: 1, max: 10 }), 3),
};

const ENV: NodeJS.ProcessEnv = {
  TABLE: ' state ', PORT: '5432', BUDGET: '300', TOPIC_ARN: 'arn:aws-us-gov:sns:us-gov-west-1:111111111111:alerts', ALARMS: 'a, b,,c ',
};

const read = (env: NodeJS.ProcessEnv) => readEnvironment('my-function', env, SPEC);

test('reads every variable into its typed field, trimmed', () => {
  expect(read(ENV)).toEqual({
    table: 'state', port: 5432, budget: 300, topicArn: 'arn:aws-us-gov:sns:us-gov-west-1:111111111111:alerts', alarms: ['a', 'b', 'c'], attempts: 3,
  });
});

test('names the required and the optional variables in spec order', () => {
  expect(requiredVariables(SPEC)).toEqual(['TABLE', 'PORT', 'BUDGET', 'TOPIC_ARN', 'ALARMS']);
  expect(optionalVariables(SPEC)).toEqual(['ATTEMPTS']);
});

test('a missing or blank required variable is named', () => {
  expect(() => read({ ...ENV, TABLE: undefined })).toThrow(new Error('my-function: missing environment variable(s): TABLE'));
  expect(() => read({ ...ENV, TABLE: '  ' })).toThrow(new Error('my-function: missing environment variable(s): TABLE'));
});

test('an optional variable takes its default when absent or blank and is validated when set', () => {
  expect(read({ ...ENV, ATTEMPTS: ' ' }).attempts).toBe(3);
  expect(read({ ...ENV, ATTEMPTS: '10' }).attempts).toBe(10);
  expect(() => read({ ...ENV, ATTEMPTS: '11' })).toThrow(new Error('my-function: ATTEMPTS must be an integer from 1 to 10, got "11"'));
});

test.each(['postgres', '1.5', '0', '65536'])('PORT=%j is rejected with its range', (raw) => {
  expect(() => read({ ...ENV, PORT: raw })).toThrow(new Error(`my-function: PORT must be an integer from 1 to 65535, got "${raw}"`));
});

test('the range is inclusive at both ends', () => {
  expect(read({ ...ENV, PORT: '1' }).port).toBe(1);
  expect(read({ ...ENV, PORT: '65535' }).port).toBe(65535);
});

test('a positive integer has no upper bound but refuses 0 and fractions', () => {
  expect(read({ ...ENV, BUDGET: '86401' }).budget).toBe(86401);
  expect(() => read({ ...ENV, BUDGET: '0' })).toThrow(new Error('my-function: BUDGET must be a positive integer, got "0"'));
  expect(() => read({ ...ENV, BUDGET: '5m' })).toThrow(new Error('my-function: BUDGET must be a positive integer, got "5m"'));
});

test('an ARN must start with arn:<partition>:', () => {
  expect(() => read({ ...ENV, TOPIC_ARN: 'alerts' })).toThrow(new Error('my-function: TOPIC_ARN must be an ARN, got "alerts"'));
  expect(() => read({ ...ENV, TOPIC_ARN: 'arn:azure:sns:x' })).toThrow('TOPIC_ARN must be an ARN');
});

test('text with a check names what it expects', () => {
  const spec = { prefix: text('PREFIX', { accepts: (value) => value.endsWith('-'), expected: 'text ending in "-"' }) };
  expect(readEnvironment('fn', { PREFIX: 'drill-' }, spec)).toEqual({ prefix: 'drill-' });
  expect(() => readEnvironment('fn', { PREFIX: 'drill' }, spec)).toThrow(new Error('fn: PREFIX must be text ending in "-", got "drill"'));
});

test('several problems make one error: missing first, then invalid values in spec order, then cross-checks', () => {
  const env = { ...ENV, TABLE: undefined, ALARMS: '', PORT: 'x', ATTEMPTS: '0', TOPIC_ARN: 'topic' };
  expect(() => readEnvironment('my-function', env, SPEC, () => ['the moon is wrong'])).toThrow(new Error(
    'my-function: missing environment variable(s): TABLE, ALARMS; '
    + 'PORT must be an integer from 1 to 65535, got "x"; TOPIC_ARN must be an ARN, got "topic"; '
    + 'ATTEMPTS must be an integer from 1 to 10, got "0"; the moon is wrong',
  ));
});

test('the cross-check sees only the fields read successfully and passes when it reports nothing', () => {
  const seen: unknown[] = [];
  const check = (values: object) => { seen.push(values); return []; };
  expect(() => readEnvironment('my-function', { ...ENV, PORT: 'x' }, SPEC, check)).toThrow('PORT must be');
  expect(seen[0]).toEqual({ table: 'state', budget: 300, topicArn: ENV.TOPIC_ARN, alarms: ['a', 'b', 'c'], attempts: 3 });
  expect(readEnvironment('my-function', ENV, SPEC, check).port).toBe(5432);
});

describe('optional variables without a default and closed choices', () => {
  const MODE_SPEC = {
    mode: oneOf('MODE', ['automatic', 'manual-confirm']),
    table: optional(text('LEASE_TABLE')),
  };
  const readMode = (env: NodeJS.ProcessEnv) => readEnvironment('fn', env, MODE_SPEC, ({ mode, table }) => (
    mode === 'automatic' && table === undefined ? ['LEASE_TABLE is required when MODE is "automatic"'] : []
  ));

  test('an optional variable is undefined when absent or blank, and listed as optional', () => {
    expect(readMode({ MODE: 'manual-confirm' })).toEqual({ mode: 'manual-confirm', table: undefined });
    expect(readMode({ MODE: 'manual-confirm', LEASE_TABLE: ' ' }).table).toBeUndefined();
    expect(readMode({ MODE: 'automatic', LEASE_TABLE: ' lease ' })).toEqual({ mode: 'automatic', table: 'lease' });
    expect(requiredVariables(MODE_SPEC)).toEqual(['MODE']);
    expect(optionalVariables(MODE_SPEC)).toEqual(['LEASE_TABLE']);
  });

  test('a cross-check can make an optional variable required', () => {
    expect(() => readMode({ MODE: 'automatic' })).toThrow(new Error('fn: LEASE_TABLE is required when MODE is "automatic"'));
  });

  test('a closed choice names every accepted value', () => {
    expect(() => readMode({ MODE: 'auto' })).toThrow(new Error('fn: MODE must be one of "automatic", "manual-confirm", got "auto"'));
    expect(() => readMode({})).toThrow(new Error('fn: missing environment variable(s): MODE'));
  });
});
