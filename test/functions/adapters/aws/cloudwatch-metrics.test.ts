import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchMetrics } from '../../../../functions/adapters/aws/cloudwatch-metrics';

const cloudWatch = mockClient(CloudWatchClient);

beforeEach(() => cloudWatch.reset());

test('publishes every datum in the namespace with the environment dimension first', async () => {
  cloudWatch.on(PutMetricDataCommand).resolves({});
  const metrics = new CloudWatchMetrics({ client: new CloudWatchClient({}), namespace: 'PaymentsDR', environmentSuffix: 'dev' });

  await metrics.record([
    { name: 'FailedOver', value: 1, unit: 'Count' },
    { name: 'FailoverStepSeconds', value: 12.5, unit: 'Seconds', dimensions: { Step: 'promote' } },
  ]);

  const calls = cloudWatch.commandCalls(PutMetricDataCommand);
  expect(calls).toHaveLength(1);
  const input = calls[0].args[0].input;
  expect(input.Namespace).toBe('PaymentsDR');
  expect(input.MetricData?.map(({ Timestamp, ...rest }) => rest)).toEqual([
    { MetricName: 'FailedOver', Value: 1, Unit: 'Count', Dimensions: [{ Name: 'EnvironmentSuffix', Value: 'dev' }] },
    {
      MetricName: 'FailoverStepSeconds', Value: 12.5, Unit: 'Seconds',
      Dimensions: [{ Name: 'EnvironmentSuffix', Value: 'dev' }, { Name: 'Step', Value: 'promote' }],
    },
  ]);
});

test('a datum with its own time is published at that time (PutMetricData Timestamp), the others at publication', async () => {
  cloudWatch.on(PutMetricDataCommand).resolves({});
  const metrics = new CloudWatchMetrics({ client: new CloudWatchClient({}), namespace: 'PaymentsDR', environmentSuffix: 'dev' });
  const committedAt = new Date(Date.now() - 60_000);

  await metrics.record([{ name: 'PrimaryWritable', value: 1, unit: 'Count', at: committedAt }, { name: 'PrimaryReachable', value: 1, unit: 'Count' }]);

  const [writable, reachable] = cloudWatch.commandCalls(PutMetricDataCommand)[0].args[0].input.MetricData ?? [];
  expect(writable.Timestamp).toEqual(committedAt);
  expect(reachable.Timestamp!.getTime()).toBeGreaterThan(committedAt.getTime());
});

test('splits more than 1000 data into several calls and propagates API errors', async () => {
  cloudWatch.on(PutMetricDataCommand).resolvesOnce({}).rejectsOnce(new Error('Throttling'));
  const metrics = new CloudWatchMetrics({ client: new CloudWatchClient({}), namespace: 'PaymentsDR', environmentSuffix: 'dev' });
  const data = Array.from({ length: 1001 }, (_, i) => ({ name: 'MonitorErrors' as const, value: i, unit: 'Count' as const }));

  await expect(metrics.record(data)).rejects.toThrow('Throttling');
  const calls = cloudWatch.commandCalls(PutMetricDataCommand);
  expect(calls.map((call) => call.args[0].input.MetricData?.length)).toEqual([1000, 1]);
});
