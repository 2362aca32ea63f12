import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ConfigError, RESERVED_CONCURRENCY } from '../../../lib/config/dr-config';
import { drResourceNames } from '../../../lib/config/resource-names';
import { DisasterRecoveryStage } from '../../../lib/stages/disaster-recovery-stage';
import { buildStage, configFrom, referencedLogicalId, TEST_ACCOUNT, testConfig } from '../support/dr-stage';

/**
 * The service-to-service wiring defects found in review, one describe each, named after the defect. Each of these
 * tests failed on the code before its fix. The permission-graph test (permission-graph.test.ts) evaluates the same
 * edges with an IAM evaluator; these pin the template shape that makes them work.
 */

type Json = Record<string, any>;

const config = testConfig({ fullDrillEnabled: 'true' });
const names = drResourceNames(config);
const stage = buildStage(config);
const templates = (candidate: DisasterRecoveryStage) => candidate.node.children.filter((child): child is Stack => child instanceof Stack)
  .map((stack) => ({ stack, template: Template.fromStack(stack) }));
const all = templates(stage);
const templateOf = (stack: Stack) => all.find((entry) => entry.stack === stack)!.template;

const actionsOf = (statement: Json): string[] => [statement.Action].flat();
const principalsOf = (statement: Json): string[] => [statement.Principal?.Service ?? []].flat();

/** `*` and `?` of an IAM ArnLike/StringLike pattern, as a regular expression. */
function iamLike(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('').map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`);
}

function keyStatements(stack: Stack): Json[] {
  const keys = Object.values(templateOf(stack).findResources('AWS::KMS::Key'));
  expect(keys).toHaveLength(1);
  return keys[0].Properties.KeyPolicy.Statement;
}

function topicPolicyStatements(stack: Stack): Json[] {
  const policies = Object.values(templateOf(stack).findResources('AWS::SNS::TopicPolicy'));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement;
}

describe('defect 1: every CloudWatch alarm notification reaches its alert topic', () => {
  // enforceSSL replaces SNS's default topic policy, which is what let the account's alarms publish.
  const alarmNamesOf = (stack: Stack) => ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm'].flatMap((type) =>
    Object.values(templateOf(stack).findResources(type))
      .filter((alarm) => (alarm.Properties.AlarmActions ?? alarm.Properties.OKActions ?? []).length > 0)
      .map((alarm) => (alarm.Properties.AlarmName ?? alarm.Properties.CompositeAlarmName) as string));

  it.each([
    ['DR', () => stage.drRegion, () => [...alarmNamesOf(stage.drMonitoring)], 'us-east-2'],
    ['primary', () => stage.primaryRegion, () => alarmNamesOf(stage.primaryLeaseKeeper!), 'us-east-1'],
  ])('the %s alert topic lets CloudWatch publish for every alarm that notifies it, and only for alarms of this account and region', (_label, topicStack, alarmNames, region) => {
    const alarmGrants = topicPolicyStatements(topicStack()).filter((statement) => statement.Effect === 'Allow'
      && principalsOf(statement).includes('cloudwatch.amazonaws.com') && actionsOf(statement).includes('sns:Publish'));
    expect(alarmGrants).toHaveLength(1);
    const pattern = alarmGrants[0].Condition.ArnLike['aws:SourceArn'] as string;
    expect(pattern).toBe(`arn:aws:cloudwatch:${region}:${TEST_ACCOUNT}:alarm:paydb-*-dev`);
    const notifying = alarmNames();
    expect(notifying.length).toBeGreaterThanOrEqual(2);
    for (const alarmName of notifying) expect(`arn:aws:cloudwatch:${region}:${TEST_ACCOUNT}:alarm:${alarmName}`).toMatch(iamLike(pattern));
    expect(`arn:aws:cloudwatch:${region}:999999999999:alarm:paydb-replication-lag-dev`).not.toMatch(iamLike(pattern));
  });
});

describe('defect 2: the drill schedules can deliver into their encrypted dead-letter queue', () => {
  const drill = () => templateOf(stage.drDrill);

  it('each schedule role may generate data keys (and decrypt) with the queue\'s key, through SQS of the DR region only', () => {
    const schedules = Object.values(drill().findResources('AWS::Scheduler::Schedule'));
    expect(schedules).toHaveLength(2);
    const queues = drill().findResources('AWS::SQS::Queue');
    for (const schedule of schedules) {
      const queue = queues[referencedLogicalId(schedule.Properties.Target.DeadLetterConfig.Arn)];
      const queueKey = queue.Properties.KmsMasterKeyId;
      const roleId = referencedLogicalId(schedule.Properties.Target.RoleArn);
      const statements = Object.values(drill().findResources('AWS::IAM::Policy'))
        .filter((policy) => policy.Properties.Roles.some((role: unknown) => referencedLogicalId(role) === roleId))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Json[]);
      const dataKeyGrant = statements.find((statement) => actionsOf(statement).includes('kms:GenerateDataKey'));
      expect(dataKeyGrant).toEqual({
        Sid: 'SendDeadLettersToTheEncryptedQueue',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: queueKey,
        Condition: { StringEquals: { 'kms:ViaService': 'sqs.us-east-2.amazonaws.com' } },
      });
      expect(statements.some((statement) => actionsOf(statement).includes('sqs:SendMessage'))).toBe(true);
    }
  });
});

describe('defect 3: key-policy statements for AWS services depend on no condition key their KMS requests may not carry', () => {
  // The event-source statements (the Logs statement and CDK's Step Functions log-delivery statement are conditioned on
  // keys their services document: the log group's encryption context, the delivery source).
  const serviceStatements = (stack: Stack) => keyStatements(stack).filter((statement) => /ToWriteEncryptedTopicsAndQueues$/.test(statement.Sid ?? ''));

  it.each([
    ['DR', () => stage.drRegion, ['cloudwatch.amazonaws.com', 'events.amazonaws.com']],
    ['primary', () => stage.primaryRegion, ['cloudwatch.amazonaws.com', 's3.amazonaws.com']],
  ])('the %s key lets exactly the services that deliver into its topics and queues use it, unconditionally', (_label, stack, services) => {
    const statements = serviceStatements(stack());
    expect(statements.flatMap(principalsOf).sort()).toEqual(services);
    for (const statement of statements) {
      expect(statement.Condition).toBeUndefined();
      expect(actionsOf(statement).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    }
  });

  it('no key lets EventBridge Scheduler in (it uses the schedule role, which carries the grant), and no service statement needs aws:SourceAccount', () => {
    for (const stack of [stage.drRegion, stage.primaryRegion]) {
      expect(JSON.stringify(keyStatements(stack))).not.toContain('scheduler.amazonaws.com');
      for (const statement of keyStatements(stack).filter((candidate) => candidate.Principal?.Service)) {
        expect(JSON.stringify(statement.Condition ?? {})).not.toContain('aws:SourceAccount');
      }
    }
  });

  it('the confused-deputy limits sit on the topic and queue policies, where AWS documents the source keys', () => {
    const primaryTopic = topicPolicyStatements(stage.primaryRegion);
    const fromBucket = primaryTopic.find((statement) => principalsOf(statement).includes('s3.amazonaws.com'));
    expect(Object.keys(fromBucket!.Condition.ArnLike)).toEqual(['aws:SourceArn']);
    const triggerQueuePolicies = Object.values(templateOf(stage.failoverOrchestration).findResources('AWS::SQS::QueuePolicy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Json[])
      .filter((statement) => principalsOf(statement).includes('events.amazonaws.com'));
    expect(triggerQueuePolicies).toHaveLength(1);
    expect(Object.keys(triggerQueuePolicies[0].Condition.ArnEquals)).toEqual(['aws:SourceArn']);
  });
});

describe('defect 6: reserved concurrency is configuration, validated against the account\'s Lambda limit', () => {
  const reservations = (candidate: DisasterRecoveryStage) => Object.fromEntries(templates(candidate).flatMap(({ template }) =>
    Object.values(template.findResources('AWS::Lambda::Function'))
      .filter((fn) => fn.Properties.FunctionName?.startsWith('paydb-'))
      .map((fn) => [fn.Properties.FunctionName as string, fn.Properties.ReservedConcurrentExecutions])));

  it('"all" (default) reserves what each DR function needs', () => {
    expect(config.functions).toEqual({ reservedConcurrency: 'all', accountConcurrencyLimit: 1000 });
    expect(reservations(stage)).toEqual({
      [names.leaseKeeperFunction]: RESERVED_CONCURRENCY.leaseKeeper,
      [names.replicationMonitorFunction]: RESERVED_CONCURRENCY.replicationMonitor,
      [names.failoverOrchestratorFunction]: RESERVED_CONCURRENCY.failoverOrchestrator,
      [names.syntheticDrillFunction]: RESERVED_CONCURRENCY.syntheticDrill,
      'paydb-full-drill-tasks-dev': RESERVED_CONCURRENCY.fullDrillTasks,
    });
  });

  it('"keeper-only" reserves the lease keeper\'s 1 and nothing else', () => {
    const keeperOnly = buildStage(testConfig({ reservedConcurrency: 'keeper-only', accountConcurrencyLimit: 101 }));
    expect(reservations(keeperOnly)).toEqual({
      [names.leaseKeeperFunction]: 1, [names.replicationMonitorFunction]: undefined, [names.failoverOrchestratorFunction]: undefined, [names.syntheticDrillFunction]: undefined,
    });
  });

  it('"none" reserves nothing, and is refused where a lease keeper runs', () => {
    const none = buildStage(testConfig({ reservedConcurrency: 'none', failoverMode: 'manual-confirm', accountConcurrencyLimit: 10 }));
    expect(Object.values(reservations(none)).filter((value) => value !== undefined)).toEqual([]);
    expect(() => configFrom({ reservedConcurrency: 'none' })).toThrow(new ConfigError('reservedConcurrency',
      '"none" would let two lease keepers run at once (they would renew and fence against each other); with failoverMode=automatic use "keeper-only" (reserves 1 in the primary region) or "all"'));
  });

  it('fails synth with one line naming the setting when a region\'s reservations do not fit the account limit minus 100', () => {
    expect(() => configFrom({ accountConcurrencyLimit: 104 })).toThrow(
      'Invalid configuration "reservedConcurrency": "all" reserves 5 concurrent executions in us-east-2, but accountConcurrencyLimit 104 leaves 4 reservable (Lambda keeps 100 unreserved)');
    expect(() => configFrom({ accountConcurrencyLimit: 105 })).not.toThrow();
    expect(() => configFrom({ reservedConcurrency: 'keeper-only', accountConcurrencyLimit: 100 })).toThrow(/reserves 1 concurrent executions in us-east-1/);
    expect(() => configFrom({ reservedConcurrency: 'some' })).toThrow('Invalid configuration "reservedConcurrency": "some" must be one of all, keeper-only, none');
    expect(() => configFrom({ accountConcurrencyLimit: 'lots' })).toThrow(/^Invalid configuration "accountConcurrencyLimit"/);
  });
});

describe('defect 7: subnets can be pinned by availability zone ID (a zone name maps to another physical zone in each account)', () => {
  it('pins every subnet of a region by the configured zone IDs, in the order of the zone names', () => {
    const pinned = buildStage(testConfig({ drAvailabilityZoneIds: 'use2-az3,use2-az1' }));
    const subnets = Object.values(Template.fromStack(pinned.drRegion).findResources('AWS::EC2::Subnet')).map((subnet) => subnet.Properties);
    expect(subnets).toHaveLength(6);
    for (const subnet of subnets) expect(subnet.AvailabilityZone).toBeUndefined();
    const byLabel = (label: string) => subnets.filter((subnet) => subnet.Tags.some((tag: Json) => tag.Key === 'Name' && tag.Value.includes(label)));
    expect(subnets.map((subnet) => subnet.AvailabilityZoneId).sort()).toEqual(['use2-az1', 'use2-az1', 'use2-az1', 'use2-az3', 'use2-az3', 'use2-az3']);
    expect(byLabel('Subnet1').every((subnet) => subnet.AvailabilityZoneId === 'use2-az3')).toBe(true);
    // The primary region was not given IDs: its subnets keep their zone names.
    for (const subnet of Object.values(Template.fromStack(pinned.primaryRegion).findResources('AWS::EC2::Subnet'))) {
      expect(subnet.Properties.AvailabilityZone).toMatch(/^us-east-1[ab]$/);
      expect(subnet.Properties.AvailabilityZoneId).toBeUndefined();
    }
  });

  it('labels the subnets with as many zone names as IDs when no names are configured', () => {
    expect(configFrom({ primaryAvailabilityZoneIds: 'use1-az1,use1-az2,use1-az4' }).network).toMatchObject({
      primaryAvailabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], primaryAvailabilityZoneIds: ['use1-az1', 'use1-az2', 'use1-az4'],
    });
  });

  it.each([
    [{ primaryAvailabilityZoneIds: 'use2-az1,use2-az2' }, 'Invalid configuration "primaryAvailabilityZoneIds": "use2-az1,use2-az2" must list at least two distinct availability zone IDs of us-east-1 (e.g. use1-az1,use1-az2); Multi-AZ needs two'],
    [{ drAvailabilityZoneIds: 'use2-az1' }, 'Invalid configuration "drAvailabilityZoneIds": "use2-az1" must list at least two distinct availability zone IDs of us-east-2 (e.g. use2-az1,use2-az2); Multi-AZ needs two'],
    [{ drAvailabilityZoneIds: 'use2-az1,use2-az1' }, 'Invalid configuration "drAvailabilityZoneIds": "use2-az1,use2-az1" must list at least two distinct availability zone IDs of us-east-2 (e.g. use2-az1,use2-az2); Multi-AZ needs two'],
    [{ drAvailabilityZones: 'us-east-2a,us-east-2b', drAvailabilityZoneIds: 'use2-az1,use2-az2,use2-az3' }, 'Invalid configuration "drAvailabilityZoneIds": lists 3 zone IDs but the zone names of us-east-2 are 2: give one ID per name, in the same order'],
  ])('refuses %j with one line naming the setting', (context, message) => {
    expect(() => configFrom(context)).toThrow(new ConfigError(message.split('"')[1], message.slice(message.indexOf(': ') + 2)));
  });
});

describe('defect 8 (code part): every role the app creates can carry a permissions boundary', () => {
  it('puts the configured boundary on every IAM role of every stack of the stage', () => {
    const bounded = buildStage(testConfig({ permissionsBoundaryPolicyName: 'paydb-deploy-boundary' }));
    let roles = 0;
    for (const { stack, template } of templates(bounded)) {
      for (const [logicalId, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
        expect({ stack: stack.stackName, logicalId, boundary: JSON.stringify(role.Properties.PermissionsBoundary) })
          .toEqual({ stack: stack.stackName, logicalId, boundary: expect.stringContaining(':policy/paydb-deploy-boundary') });
        roles += 1;
      }
    }
    expect(roles).toBeGreaterThan(10);
  });

  it('puts none without the setting, and refuses a name IAM would refuse', () => {
    for (const { template } of all) {
      for (const role of Object.values(template.findResources('AWS::IAM::Role'))) expect(role.Properties.PermissionsBoundary).toBeUndefined();
    }
    expect(() => configFrom({ permissionsBoundaryPolicyName: 'no spaces' })).toThrow('Invalid configuration "permissionsBoundaryPolicyName": "no spaces" is not an IAM policy name');
  });
});
