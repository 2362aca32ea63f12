import {
  backupBucketName, ConfigError, engineMajor, KEEPER_RUN_SECONDS, loadConfig, MRSC_REGION_SETS, mrscRegionSetOf,
  PLACEHOLDER_ACCOUNT, resourceName, SUPPORTED_ENGINE_MAJORS,
} from '../../../lib/config/dr-config';
import { DEFAULT_LEASE_TIMINGS } from '../../../functions/core/write-lease';
import { configFrom } from '../support/dr-stage';

/** The oldest 14.x minor RDS accepts for new instances (test/lib/config/engine-version.test.ts checks the versions). */
const OLDEST_ACCEPTED_MINOR = `14.${SUPPORTED_ENGINE_MAJORS[14].minimumMinor}`;

/** Runs `loadConfig` on the given context and returns the `ConfigError` it throws. */
function configErrorFor(context: Record<string, unknown>, env: Record<string, string | undefined> = {}): ConfigError {
  try {
    configFrom(context, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(context)}`);
}

describe('loadConfig defaults (no context, no environment)', () => {
  const config = configFrom();

  it('uses us-east-1 primary, us-east-2 DR and us-west-2 tooling', () => {
    expect(config.regions).toEqual({ primary: 'us-east-1', dr: 'us-east-2', tooling: 'us-west-2' });
  });

  it('uses the dev suffix and the paydb service name', () => {
    expect(config.environmentSuffix).toBe('dev');
    expect(config.serviceName).toBe('paydb');
  });

  it('uses the marked placeholder account for both accounts and warns', () => {
    expect(PLACEHOLDER_ACCOUNT).toBe('000000000000');
    expect(config.workloadAccount).toBe(PLACEHOLDER_ACCOUNT);
    expect(config.toolingAccount).toBe(PLACEHOLDER_ACCOUNT);
    expect(config.accountIsPlaceholder).toBe(true);
    expect(config.warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/No AWS account given.*placeholder 000000000000/),
    ]));
  });

  it('runs PostgreSQL 14.22 on db.r6g.xlarge with 7 days of backups on port 5432', () => {
    expect(config.database).toMatchObject({
      engineVersion: '14.22', instanceClass: 'db.r6g.xlarge', backupRetentionDays: 7, port: 5432,
      databaseName: 'payments', masterUsername: 'dbadmin', allocatedStorageGiB: 100, maxAllocatedStorageGiB: 500,
    });
    expect(engineMajor(config)).toBe('14');
  });

  it('uses disjoint VPC CIDRs, two pinned zones per region and two NAT gateways', () => {
    expect(config.network).toEqual({
      primaryCidr: '10.10.0.0/16', drCidr: '10.20.0.0/16',
      primaryAvailabilityZones: ['us-east-1a', 'us-east-1b'], drAvailabilityZones: ['us-east-2a', 'us-east-2b'],
      natGatewaysPerRegion: 2,
    });
  });

  it('alerts at 300 s of replication lag and has no alert e-mail', () => {
    expect(config.monitoring.replicationLagAlarmSeconds).toBe(300);
    expect(config.monitoring.maxPromotionLagSeconds).toBe(300);
    expect(config.monitoring.alertEmail).toBeUndefined();
  });

  it('uses a placeholder connection ARN, marks it and warns (the pipeline must not deploy with it)', () => {
    expect(config.pipeline.connectionArnIsPlaceholder).toBe(true);
    expect(config.pipeline.connectionArn).toMatch(/^arn:aws:codeconnections:us-west-2:000000000000:connection\//);
    expect(config.pipeline.branch).toBe('main');
    expect(config.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/No CodeConnections ARN given/)]));
  });

  it('leaves the weekly full drill off', () => {
    expect(config.drills.fullDrillEnabled).toBe(false);
  });

  it('fails over automatically, with the write lease timings of the runtime\'s defaults (45 s TTL, renewal every 10 s, fence with 15 s left, takeover 30 s after expiry)', () => {
    expect(config.failover).toEqual({
      mode: 'automatic',
      lease: { ttlSeconds: 45, renewIntervalSeconds: 10, fenceBudgetSeconds: 15, takeoverMarginSeconds: 30 },
    });
    expect(config.failover.lease).toEqual({
      ttlSeconds: DEFAULT_LEASE_TIMINGS.ttlMs / 1000,
      renewIntervalSeconds: DEFAULT_LEASE_TIMINGS.renewIntervalMs / 1000,
      fenceBudgetSeconds: DEFAULT_LEASE_TIMINGS.fenceBudgetMs / 1000,
      takeoverMarginSeconds: DEFAULT_LEASE_TIMINGS.takeoverMarginMs / 1000,
    });
  });

  it('tags everything with the environment and the RPO/RTO targets', () => {
    expect(config.tags).toEqual({
      Project: 'payments-dr', Environment: 'dev', RpoTarget: '1h', RtoTarget: '4h', DataClassification: 'pci',
    });
  });
});

describe('loadConfig overrides', () => {
  it('takes every setting from context', () => {
    const config = configFrom({
      environmentSuffix: 'pr-42', serviceName: 'cards', primaryRegion: 'eu-west-1', drRegion: 'eu-central-1',
      toolingRegion: 'eu-west-3', account: '111122223333', toolingAccount: '444455556666',
      primaryVpcCidr: '10.30.0.0/16', drVpcCidr: '10.40.0.0/20', natGatewaysPerRegion: '3',
      primaryAvailabilityZones: 'eu-west-1a, eu-west-1c', drAvailabilityZones: 'eu-central-1a,eu-central-1b,eu-central-1c',
      engineVersion: OLDEST_ACCEPTED_MINOR, instanceClass: 'db.r7g.2xlarge', backupRetentionDays: '35', databasePort: '6543',
      alertEmail: 'oncall@example.com', replicationLagAlarmSeconds: '120',
      connectionArn: 'arn:aws:codeconnections:eu-west-3:444455556666:connection/12345678-90ab-cdef-1234-567890abcdef',
      repository: 'acme/payments-dr', branch: 'release', fullDrillEnabled: 'true',
      failoverMode: 'automatic', leaseTtlSeconds: '60', leaseRenewIntervalSeconds: '5', leaseFenceBudgetSeconds: '20', leaseTakeoverMarginSeconds: '45',
      primaryAvailabilityZoneIds: 'euw1-az1,euw1-az3', confirmPermissionsBroadening: 'false', reservedConcurrency: 'keeper-only',
      accountConcurrencyLimit: '150', permissionsBoundaryPolicyName: 'cards-boundary',
    });
    expect(config.environmentSuffix).toBe('pr-42');
    expect(config.serviceName).toBe('cards');
    expect(config.regions).toEqual({ primary: 'eu-west-1', dr: 'eu-central-1', tooling: 'eu-west-3' });
    expect(config.workloadAccount).toBe('111122223333');
    expect(config.toolingAccount).toBe('444455556666');
    expect(config.accountIsPlaceholder).toBe(false);
    expect(config.network).toEqual({
      primaryCidr: '10.30.0.0/16', drCidr: '10.40.0.0/20', natGatewaysPerRegion: 3,
      primaryAvailabilityZones: ['eu-west-1a', 'eu-west-1c'], drAvailabilityZones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'],
      primaryAvailabilityZoneIds: ['euw1-az1', 'euw1-az3'], drAvailabilityZoneIds: undefined,
    });
    expect(config.functions).toEqual({ reservedConcurrency: 'keeper-only', accountConcurrencyLimit: 150 });
    expect(config.iam).toEqual({ permissionsBoundaryPolicyName: 'cards-boundary' });
    expect(config.database).toMatchObject({ engineVersion: OLDEST_ACCEPTED_MINOR, instanceClass: 'db.r7g.2xlarge', backupRetentionDays: 35, port: 6543 });
    expect(config.monitoring).toMatchObject({ alertEmail: 'oncall@example.com', replicationLagAlarmSeconds: 120 });
    expect(config.pipeline).toEqual({
      connectionArn: 'arn:aws:codeconnections:eu-west-3:444455556666:connection/12345678-90ab-cdef-1234-567890abcdef',
      connectionArnIsPlaceholder: false, repository: 'acme/payments-dr', branch: 'release', confirmPermissionsBroadening: false,
    });
    expect(config.drills.fullDrillEnabled).toBe(true);
    expect(config.failover).toEqual({
      mode: 'automatic', lease: { ttlSeconds: 60, renewIntervalSeconds: 5, fenceBudgetSeconds: 20, takeoverMarginSeconds: 45 },
    });
    expect(config.tags.Environment).toBe('pr-42');
    expect(config.warnings).toEqual([]);
  });

  it('accepts numbers from cdk.json as well as strings from -c', () => {
    expect(configFrom({ natGatewaysPerRegion: 1, backupRetentionDays: 14 }).network.natGatewaysPerRegion).toBe(1);
    expect(configFrom({ backupRetentionDays: 14 }).database.backupRetentionDays).toBe(14);
  });

  it('takes the account from CDK_DEFAULT_ACCOUNT when context has none, and context wins over it', () => {
    const fromEnv = configFrom({}, { CDK_DEFAULT_ACCOUNT: '210987654321' });
    expect(fromEnv.workloadAccount).toBe('210987654321');
    expect(fromEnv.toolingAccount).toBe('210987654321');
    expect(fromEnv.accountIsPlaceholder).toBe(false);
    expect(fromEnv.warnings.join('\n')).not.toMatch(/placeholder 000000000000/);
    expect(configFrom({ account: '111122223333' }, { CDK_DEFAULT_ACCOUNT: '210987654321' }).workloadAccount).toBe('111122223333');
  });

  it('takes the connection ARN from CODECONNECTIONS_ARN when context has none', () => {
    const arn = 'arn:aws:codestar-connections:us-west-2:111122223333:connection/abcdefab-cdef-abcd-efab-cdefabcdefab';
    const config = configFrom({}, { CODECONNECTIONS_ARN: arn });
    expect(config.pipeline).toMatchObject({ connectionArn: arn, connectionArnIsPlaceholder: false });
  });

  it('merges tags from JSON context (string or object) over the defaults', () => {
    expect(configFrom({ tags: '{"CostCenter":"cc-1234","RpoTarget":"15m"}' }).tags).toMatchObject({
      CostCenter: 'cc-1234', RpoTarget: '15m', Project: 'payments-dr',
    });
    expect(configFrom({ tags: { Owner: 'sre@example.com' } }).tags.Owner).toBe('sre@example.com');
  });

  it('treats empty context values as unset', () => {
    expect(configFrom({ environmentSuffix: '', account: null }).environmentSuffix).toBe('dev');
  });

  it('warns when the tooling region is also a database region (possible in failoverMode manual-confirm only)', () => {
    expect(configFrom({ toolingRegion: 'us-east-1', failoverMode: 'manual-confirm' }).warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/toolingRegion us-east-1 is also a database region/),
    ]));
  });
});

describe('loadConfig rejects invalid input with a ConfigError naming the setting', () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['suffix with upper case', { environmentSuffix: 'Dev' }, 'environmentSuffix', /"Dev"/],
    ['suffix with underscore', { environmentSuffix: 'my_env' }, 'environmentSuffix', /"my_env"/],
    ['suffix with a space', { environmentSuffix: 'qa 1' }, 'environmentSuffix', /"qa 1"/],
    ['suffix with a leading hyphen', { environmentSuffix: '-dev' }, 'environmentSuffix', /"-dev"/],
    ['suffix with a double hyphen', { environmentSuffix: 'a--b' }, 'environmentSuffix', /"a--b"/],
    ['suffix with a dot', { environmentSuffix: 'v1.2' }, 'environmentSuffix', /"v1.2"/],
    ['suffix with "<"', { environmentSuffix: 'dev<1' }, 'environmentSuffix', /"dev<1"/],
    ['suffix of 17 characters', { environmentSuffix: 'a'.repeat(17) }, 'environmentSuffix', /1-16/],
    ['bad service name', { serviceName: 'Pay-DB' }, 'serviceName', /"Pay-DB"/],
    ['same primary and DR region', { primaryRegion: 'us-east-2' }, 'drRegion', /must differ from primaryRegion \(both are us-east-2\)/],
    ['unknown primary region', { primaryRegion: 'us-east-9' }, 'primaryRegion', /"us-east-9" is not a supported AWS region/],
    ['unknown DR region', { drRegion: 'mars-1' }, 'drRegion', /"mars-1" is not a supported AWS region/],
    ['unknown tooling region', { toolingRegion: 'US-WEST-2' }, 'toolingRegion', /"US-WEST-2"/],
    ['unsupported instance class (burstable)', { instanceClass: 'db.t3.micro' }, 'instanceClass', /"db.t3.micro" is not supported/],
    ['instance class without db. prefix', { instanceClass: 'r6g.xlarge' }, 'instanceClass', /"r6g.xlarge"/],
    ['tags that are not JSON', { tags: '{Owner: sre}' }, 'tags', /JSON object of string values/],
    ['tags that are a JSON array', { tags: '["a"]' }, 'tags', /JSON object of string values/],
    ['tags with a non-string value', { tags: '{"CostCenter":1234}' }, 'tags', /JSON object of string values/],
    ['account with 11 digits', { account: '12345678901' }, 'account', /"12345678901" must be a 12-digit AWS account id/],
    ['account with letters', { account: 'my-account' }, 'account', /"my-account"/],
    ['tooling account', { toolingAccount: '1234' }, 'toolingAccount', /"1234" must be a 12-digit/],
    ['overlapping CIDRs (same)', { drVpcCidr: '10.10.0.0/16' }, 'drVpcCidr', /10.10.0.0\/16 overlaps primaryVpcCidr 10.10.0.0\/16 \(default\)/],
    ['overlapping CIDRs (DR inside primary)', { drVpcCidr: '10.10.128.0/20' }, 'drVpcCidr', /overlaps primaryVpcCidr/],
    // Only primaryVpcCidr given: the error names it, not the default drVpcCidr the user never set.
    ['overlapping CIDRs (primary given, inside the default DR)', { primaryVpcCidr: '10.20.4.0/24' }, 'primaryVpcCidr',
      /10.20.4.0\/24 overlaps drVpcCidr 10.20.0.0\/16 \(default\); VPC peering needs disjoint ranges$/],
    ['overlapping CIDRs (both given)', { primaryVpcCidr: '10.30.0.0/16', drVpcCidr: '10.30.0.0/20' }, 'drVpcCidr',
      /10.30.0.0\/20 overlaps primaryVpcCidr 10.30.0.0\/16; VPC peering/],
    ['CIDR with an octet over 255', { primaryVpcCidr: '10.256.0.0/16' }, 'primaryVpcCidr', /IPv4 CIDR/],
    ['CIDR prefix too wide', { drVpcCidr: '10.0.0.0/8' }, 'drVpcCidr', /prefix from \/16 to \/24/],
    ['CIDR that is not a CIDR', { drVpcCidr: 'vpc-1' }, 'drVpcCidr', /"vpc-1"/],
    ['one availability zone', { primaryAvailabilityZones: 'us-east-1a' }, 'primaryAvailabilityZones', /at least two availability zones of us-east-1/],
    ['zone of another region', { drAvailabilityZones: 'us-east-2a,us-east-1b' }, 'drAvailabilityZones', /of us-east-2/],
    ['connection ARN of another service', { connectionArn: 'arn:aws:iam::111122223333:role/x' }, 'connectionArn', /is not a CodeConnections connection ARN/],
    ['connection ARN with a bad id', { connectionArn: 'arn:aws:codeconnections:us-west-2:111122223333:connection/abc' }, 'connectionArn', /not a CodeConnections/],
    ['alert e-mail without @', { alertEmail: 'oncall.example.com' }, 'alertEmail', /"oncall.example.com" is not an e-mail address/],
    ['alert e-mail without domain dot', { alertEmail: 'oncall@example' }, 'alertEmail', /is not an e-mail address/],
    ['repository without owner', { repository: 'payments-dr' }, 'repository', /must be "owner\/name"/],
    ['NAT gateways 0', { natGatewaysPerRegion: '0' }, 'natGatewaysPerRegion', /"0" must be a whole number from 1 to 3/],
    ['NAT gateways not a number', { natGatewaysPerRegion: 'two' }, 'natGatewaysPerRegion', /"two"/],
    ['backup retention 0 (would disable PITR)', { backupRetentionDays: '0' }, 'backupRetentionDays', /from 1 to 35/],
    ['backup retention 36', { backupRetentionDays: 36 }, 'backupRetentionDays', /"36"/],
    ['negative storage', { allocatedStorageGiB: '-100' }, 'allocatedStorageGiB', /"-100"/],
    ['fractional port', { databasePort: '5432.5' }, 'databasePort', /"5432.5"/],
    ['port below RDS range', { databasePort: '80' }, 'databasePort', /from 1150 to 65535/],
    ['max storage below storage', { allocatedStorageGiB: '200', maxAllocatedStorageGiB: '100' }, 'maxAllocatedStorageGiB', /100 is below allocatedStorageGiB 200/],
    ['lag threshold too small', { replicationLagAlarmSeconds: '5' }, 'replicationLagAlarmSeconds', /from 10 to 3600/],
    ['probe interval of 10 minutes', { probeIntervalMinutes: '10' }, 'probeIntervalMinutes', /from 1 to 5/],
    ['DNS TTL of an hour', { dnsTtlSeconds: '3600' }, 'dnsTtlSeconds', /from 5 to 300/],
    ['unreachable periods 0', { unreachableEvaluationPeriods: '0' }, 'unreachableEvaluationPeriods', /from 1 to 10/],
    ['max promotion lag 0', { maxPromotionLagSeconds: '0' }, 'maxPromotionLagSeconds', /from 1 to 3600/],
    ['full drill switch that is not a boolean', { fullDrillEnabled: 'yes' }, 'fullDrillEnabled', /"yes" must be true or false/],
    ['database name with a hyphen', { databaseName: 'pay-ments' }, 'databaseName', /"pay-ments"/],
    ['master user name starting with a digit', { masterUsername: '1admin' }, 'masterUsername', /"1admin"/],
    ['unknown failover mode', { failoverMode: 'manual' }, 'failoverMode', /"manual" must be one of automatic, manual-confirm/],
    ['failover mode in upper case', { failoverMode: 'AUTOMATIC' }, 'failoverMode', /"AUTOMATIC"/],
    ['lease TTL not a number', { leaseTtlSeconds: 'long' }, 'leaseTtlSeconds', /"long" must be a whole number from 5 to 600/],
    ['lease renewal 0', { leaseRenewIntervalSeconds: '0' }, 'leaseRenewIntervalSeconds', /from 1 to 300/],
    ['lease fence budget fractional', { leaseFenceBudgetSeconds: '7.5' }, 'leaseFenceBudgetSeconds', /"7.5"/],
    ['lease takeover margin 0', { leaseTakeoverMarginSeconds: '0' }, 'leaseTakeoverMarginSeconds', /from 1 to 600/],
    // The runtime's own rules (validateLeaseTimings), each named by the setting it constrains.
    ['renewal over half the TTL', { leaseRenewIntervalSeconds: '25' }, 'leaseRenewIntervalSeconds',
      /the renew interval must be at most half the lease TTL .*\(leaseTtlSeconds=45, leaseRenewIntervalSeconds=25, leaseFenceBudgetSeconds=15, leaseTakeoverMarginSeconds=30\)/],
    ['fence budget as long as the TTL', { leaseFenceBudgetSeconds: '45' }, 'leaseFenceBudgetSeconds', /the fence budget must be shorter than the lease TTL/],
    ['renewal + fence budget over the TTL', { leaseTtlSeconds: '40', leaseRenewIntervalSeconds: '20', leaseFenceBudgetSeconds: '25' }, 'leaseFenceBudgetSeconds',
      /renew interval \+ fence budget must fit in the lease TTL/],
    // The keeper's schedule: nobody renews between two invocations.
    ['TTL that the pause between keeper invocations outlasts', { leaseTtlSeconds: '30', leaseRenewIntervalSeconds: '10', leaseFenceBudgetSeconds: '10' }, 'leaseTtlSeconds',
      new RegExp(`the lease must outlast the longest gap between two renewals, 25 s \\(renew interval \\+ ${60 - KEEPER_RUN_SECONDS} s between keeper invocations \\+ 10 s cold start\\), before the keeper must fence: leaseTtlSeconds - leaseFenceBudgetSeconds is 20 s`)],
  ];

  it.each(cases)('%s', (_name, context, setting, problem) => {
    const error = configErrorFor(context);
    expect(error.name).toBe('ConfigError');
    expect(error.setting).toBe(setting);
    expect(error.message).toMatch(new RegExp(`^Invalid configuration "${setting}": `));
    expect(error.message).toMatch(problem);
  });

  it('rejects a bad CDK_DEFAULT_ACCOUNT naming the account setting', () => {
    expect(configErrorFor({}, { CDK_DEFAULT_ACCOUNT: 'unknown' }).message).toBe(
      'Invalid configuration "account": "unknown" must be a 12-digit AWS account id');
  });

  it('rejects a malformed CODECONNECTIONS_ARN naming the connectionArn setting', () => {
    expect(configErrorFor({}, { CODECONNECTIONS_ARN: 'github' }).setting).toBe('connectionArn');
  });

  it('accepts the boundaries of the suffix rule (16 characters, inner hyphens, digits)', () => {
    expect(configFrom({ environmentSuffix: 'a'.repeat(16) }).environmentSuffix).toHaveLength(16);
    expect(configFrom({ environmentSuffix: 'pr-1-b' }).environmentSuffix).toBe('pr-1-b');
    expect(configFrom({ environmentSuffix: '7' }).environmentSuffix).toBe('7');
  });

  it('accepts the oldest supported minor and adjacent non-overlapping CIDRs', () => {
    expect(configFrom({ engineVersion: OLDEST_ACCEPTED_MINOR }).database.engineVersion).toBe(OLDEST_ACCEPTED_MINOR);
    expect(configFrom({ primaryVpcCidr: '10.10.0.0/24', drVpcCidr: '10.10.1.0/24' }).network.drCidr).toBe('10.10.1.0/24');
  });

  it('reads configuration only through the given sources', () => {
    const previous = process.env.CDK_DEFAULT_ACCOUNT;
    process.env.CDK_DEFAULT_ACCOUNT = '999999999999';
    try {
      expect(loadConfig({ context: () => undefined, env: {} }).workloadAccount).toBe(PLACEHOLDER_ACCOUNT);
    } finally {
      if (previous === undefined) delete process.env.CDK_DEFAULT_ACCOUNT; else process.env.CDK_DEFAULT_ACCOUNT = previous;
    }
  });
});

describe('failoverMode and the MRSC region sets of the write lease', () => {
  it('lists the US, EU and AP region sets of the CloudFormation GlobalTableWitness reference', () => {
    expect(MRSC_REGION_SETS).toEqual({
      US: ['us-east-1', 'us-east-2', 'us-west-2'],
      EU: ['eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1'],
      AP: ['ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3'],
    });
    expect(mrscRegionSetOf(['us-east-1', 'us-east-2', 'us-west-2'])).toBe('US');
    expect(mrscRegionSetOf(['eu-central-1', 'eu-west-1', 'eu-west-2'])).toBe('EU');
    expect(mrscRegionSetOf(['us-east-1', 'us-east-2', 'eu-west-1'])).toBeUndefined();
  });

  it.each([
    ['US set, any order', { primaryRegion: 'us-west-2', drRegion: 'us-east-1', toolingRegion: 'us-east-2' }],
    ['EU set', { primaryRegion: 'eu-west-1', drRegion: 'eu-central-1', toolingRegion: 'eu-west-2' }],
    ['AP set', { primaryRegion: 'ap-northeast-1', drRegion: 'ap-northeast-3', toolingRegion: 'ap-northeast-2' }],
  ])('accepts automatic mode when primary, DR and tooling (witness) regions are one MRSC set: %s', (_name, regions) => {
    expect(configFrom({ failoverMode: 'automatic', ...regions }).failover.mode).toBe('automatic');
  });

  it.each([
    ['tooling outside the US set', { toolingRegion: 'us-west-1' }, /toolingRegion us-west-1/],
    ['database regions of two sets', { primaryRegion: 'us-east-1', drRegion: 'eu-west-1', toolingRegion: 'eu-west-2' }, /primaryRegion us-east-1 and drRegion eu-west-1/],
    ['a region in no set', { primaryRegion: 'eu-west-1', drRegion: 'eu-central-1', toolingRegion: 'eu-north-1' }, /toolingRegion eu-north-1/],
    ['sa-east-1 as DR', { drRegion: 'sa-east-1' }, /drRegion sa-east-1/],
  ])('refuses automatic mode (the default) when the three regions are not one MRSC set: %s', (_name, regions, named) => {
    const error = configErrorFor(regions);
    expect(error.setting).toBe('failoverMode');
    expect(error.message).toMatch(/^Invalid configuration "failoverMode": "automatic" needs a DynamoDB multi-Region strong consistency \(MRSC\) global table/);
    expect(error.message).toMatch(named);
    expect(error.message).toMatch(/US: us-east-1, us-east-2, us-west-2; EU: eu-west-1, eu-west-2, eu-west-3, eu-central-1; AP: ap-northeast-1, ap-northeast-2, ap-northeast-3/);
    expect(error.message).toMatch(/Choose failoverMode=manual-confirm, or other regions\.$/);
  });

  it('refuses automatic mode when the tooling region is a database region: the witness needs a third region', () => {
    for (const toolingRegion of ['us-east-1', 'us-east-2']) {
      const error = configErrorFor({ toolingRegion });
      expect(error.setting).toBe('failoverMode');
      expect(error.message).toMatch(new RegExp(`toolingRegion ${toolingRegion} is also a database region\\. Choose failoverMode=manual-confirm`));
    }
  });

  it('accepts any regions in manual-confirm mode (no write lease is created)', () => {
    const config = configFrom({ failoverMode: 'manual-confirm', primaryRegion: 'eu-west-1', drRegion: 'eu-central-1', toolingRegion: 'eu-north-1' });
    expect(config.failover.mode).toBe('manual-confirm');
    expect(config.regions.tooling).toBe('eu-north-1');
  });

  it('still validates the lease timings in manual-confirm mode (the orchestrator reads TTL and margin in either mode)', () => {
    expect(configErrorFor({ failoverMode: 'manual-confirm', leaseRenewIntervalSeconds: '30' }).setting).toBe('leaseRenewIntervalSeconds');
  });

  it('accepts lease timings at the edge of the keeper\'s gap rule', () => {
    // 40 - 15 = 25 = 10 + (60 - 55) + 10.
    expect(configFrom({ leaseTtlSeconds: '40' }).failover.lease.ttlSeconds).toBe(40);
    expect(configErrorFor({ leaseTtlSeconds: '39' }).setting).toBe('leaseTtlSeconds');
  });
});

describe('naming helpers', () => {
  const config = configFrom({ environmentSuffix: 'qa', account: '111122223333' });

  it('builds {service}-{purpose}-{environmentSuffix}', () => {
    expect(resourceName(config, 'primary-db')).toBe('paydb-primary-db-qa');
  });

  it('makes backup bucket names globally unique with the account', () => {
    expect(backupBucketName(config, 'primary')).toBe('paydb-backup-primary-111122223333-qa');
    expect(backupBucketName(config, 'dr')).toBe('paydb-backup-dr-111122223333-qa');
  });

  it('keeps the longest allowed names within S3 (63) and RDS (63) limits', () => {
    const longest = configFrom({ environmentSuffix: 'a'.repeat(16), serviceName: 'b'.repeat(12), account: '111122223333' });
    expect(`${backupBucketName(longest, 'primary')}-logs`.length).toBeLessThanOrEqual(63);
    expect(resourceName(longest, 'dr-replica-db').length).toBeLessThanOrEqual(63);
  });
});
