import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsAlerts, toSnsSubject } from '../../../../functions/adapters/aws/sns-alerts';

const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:us-east-2:111111111111:paydb-alerts-dev';

beforeEach(() => sns.reset());

const RUNBOOK = 'https://github.com/acme/payments-dr/blob/main/docs/runbooks/failover.md';

test('publishes to the topic with an environment-tagged subject and the sender\'s runbook link last', async () => {
  sns.on(PublishCommand).resolves({ MessageId: '1' });
  await new SnsAlerts(new SNSClient({}), TOPIC, 'dev', RUNBOOK).notify('DR failover: completed', 'timeline…');
  expect(sns.commandCalls(PublishCommand)[0].args[0].input).toEqual({
    TopicArn: TOPIC, Subject: '[dev] DR failover: completed', Message: `timeline…\n\nRunbook: ${RUNBOOK}`,
  });
});

test('subjects are made SNS-safe: printable ASCII, at most 100 characters', () => {
  expect(toSnsSubject('a\nb → c')).toBe('a b   c');
  const long = toSnsSubject('x'.repeat(150));
  expect(long).toHaveLength(100);
  expect(long.endsWith('...')).toBe(true);
});

test('a failed publish throws', async () => {
  sns.on(PublishCommand).rejects(new Error('KMSAccessDenied'));
  await expect(new SnsAlerts(new SNSClient({}), TOPIC, 'dev', RUNBOOK).notify('s', 'm')).rejects.toThrow('KMSAccessDenied');
});
