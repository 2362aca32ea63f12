import { readFileSync, existsSync } from 'fs';
import { join } from 'path';
import { powertoolsLogger } from '../../../../functions/adapters/aws/powertools-logger';
import { CONFIG } from '../../failover-orchestrator/aws-fakes';
import { createHandler } from '../../../../functions/failover-orchestrator/create-handler';
import { deployedEntries } from '../../../contract/metric-names';
import { REPOSITORY_ROOT } from '../../../contract/sdk-commands';

/** The JSON lines Powertools writes (to stdout, errors to stderr) while `run` runs, parsed; nothing reaches the console. */
async function loggedLines(run: () => Promise<unknown> | void): Promise<Array<Record<string, unknown>>> {
  const written: string[] = [];
  const capture = (chunk: unknown) => { written.push(String(chunk)); return true; };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await run();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return written.join('').split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A Lambda context as Lambda passes it (the fields the logger reads, plus the orchestrator's deadline). */
const fakeContext = (awsRequestId: string) => ({
  awsRequestId,
  functionName: 'paydb-failover-orchestrator-dev',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-2:123456789012:function:paydb-failover-orchestrator-dev',
  memoryLimitInMB: '512',
  getRemainingTimeInMillis: () => 900_000,
});

// The environment of an on-demand Lambda (Lambda sets AWS_LAMBDA_INITIALIZATION_TYPE; Powertools reports a cold start only
// for `on-demand`, never under provisioned concurrency), at INFO (Powertools' default: the functions set no level).
const LAMBDA_ENV = { AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', POWERTOOLS_LOG_LEVEL: 'INFO' };
const saved = Object.fromEntries(Object.keys(LAMBDA_ENV).map((name) => [name, process.env[name]]));
beforeEach(() => Object.assign(process.env, LAMBDA_ENV));
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) if (value === undefined) delete process.env[name]; else process.env[name] = value;
});

test('after addContext every line carries the request id, the cold start flag and the function', async () => {
  const logger = powertoolsLogger('test-service');
  const lines = await loggedLines(() => {
    logger.addContext(fakeContext('req-1'));
    logger.info('first', { step: 1 });
    logger.error('second');
    logger.addContext(fakeContext('req-2'));
    logger.warn('third');
  });
  expect(lines.map(({ message, function_request_id, cold_start }) => ({ message, function_request_id, cold_start }))).toEqual([
    { message: 'first', function_request_id: 'req-1', cold_start: true },
    { message: 'second', function_request_id: 'req-1', cold_start: true },
    // The next invocation in the same execution environment is warm.
    { message: 'third', function_request_id: 'req-2', cold_start: false },
  ]);
  expect(lines[0]).toMatchObject({
    service: 'test-service', step: 1, function_name: 'paydb-failover-orchestrator-dev', function_memory_size: '512',
    function_arn: 'arn:aws:lambda:us-east-2:123456789012:function:paydb-failover-orchestrator-dev',
  });
});

test('the failover orchestrator\'s handler logs each invocation with its request id and cold start', async () => {
  const handler = createHandler(CONFIG);
  const lines = await loggedLines(async () => {
    await handler({ action: 'no-such-action' }, fakeContext('req-cold'));
    await handler({ action: 'no-such-action' }, fakeContext('req-warm'));
  });
  expect(lines.map(({ message, function_request_id, cold_start }) => ({ message, function_request_id, cold_start }))).toEqual([
    { message: 'rejected malformed event', function_request_id: 'req-cold', cold_start: true },
    { message: 'rejected malformed event', function_request_id: 'req-warm', cold_start: false },
  ]);
});

test('every deployed handler adds the Lambda context to its logger', () => {
  const missing = deployedEntries().filter((entry) => {
    const folder = join(REPOSITORY_ROOT, entry, '..');
    const sources = ['handler.ts', 'create-handler.ts'].map((name) => join(folder, name)).filter(existsSync).map((file) => readFileSync(file, 'utf8'));
    return !sources.some((source) => /\blogger\.addContext\(context\)/.test(source));
  });
  expect(missing).toEqual([]);
});
