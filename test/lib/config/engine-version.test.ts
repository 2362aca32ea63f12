import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ConfigError, loadConfig } from '../../../lib/config/dr-config';
import { DisasterRecoveryStage } from '../../../lib/stages/disaster-recovery-stage';
import { buildStage, configFrom, referencedLogicalId, TEST_ACCOUNT } from '../support/dr-stage';

type Json = Record<string, any>;

/** The rule every engineVersion error states: the majors the product accepts and the oldest minor RDS creates of each. */
const RULE = 'it must be major.minor (no patch part) of PostgreSQL 14, 15, 16, 17, at least the oldest minor RDS still creates: 14.18, 15.13, 16.9, 17.5';

function engineVersionError(engineVersion: string): string {
  try {
    configFrom({ engineVersion });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`loadConfig accepted engineVersion ${engineVersion}`);
}

describe('engineVersion', () => {
  it('defaults to PostgreSQL 14.22', () => {
    expect(configFrom().database.engineVersion).toBe('14.22');
  });

  it.each(['14.18', '14.22', '15.13', '15.20', '16.9', '17.5', '17.10'])('accepts %s', (engineVersion) => {
    expect(configFrom({ engineVersion }).database.engineVersion).toBe(engineVersion);
  });

  it.each([
    ['13.20', 'is not supported'],
    ['18.1', 'is not supported'],
    ['14', 'is not supported'],
    ['14.22.1', 'is not supported'],
    ['v15.13', 'is not supported'],
    ['14.17', 'is deprecated by RDS for new instances'],
    ['15.12', 'is deprecated by RDS for new instances'],
    ['16.8', 'is deprecated by RDS for new instances'],
    ['17.4', 'is deprecated by RDS for new instances'],
  ])('rejects %s with one line naming the setting and the rule', (engineVersion, problem) => {
    expect(engineVersionError(engineVersion)).toBe(`Invalid configuration "engineVersion": "${engineVersion}" ${problem}: ${RULE}`);
  });
});

describe('the synth warning about the end of RDS standard support (6 months ahead)', () => {
  /** The support warnings of a synth on `date` with `engineVersion`. */
  function supportWarnings(date: string, engineVersion = '14.22'): string[] {
    const context: Record<string, string> = { account: TEST_ACCOUNT, engineVersion };
    return loadConfig({ context: (key) => context[key], env: {}, now: new Date(date) }).warnings.filter((warning) => warning.includes('RDS standard support'));
  }
  const upcoming14 = 'RDS standard support for PostgreSQL 14 ends on 2027-02-28, within 6 months: afterwards RDS moves the instances to the paid ' +
    'RDS Extended Support. Plan the major version upgrade: docs/runbooks/major-version-upgrade.md.';

  it('is not given up to the day before the 6 months start (PostgreSQL 14: standard support ends 2027-02-28)', () => {
    expect(supportWarnings('2026-08-27T23:59:59Z')).toEqual([]);
  });

  it.each(['2026-08-28T00:00:00Z', '2026-11-30T10:00:00Z', '2027-02-28T23:59:59Z'])('is given on %s, inside the 6 months', (date) => {
    expect(supportWarnings(date)).toEqual([upcoming14]);
  });

  it('says support ended once the date has passed', () => {
    expect(supportWarnings('2027-03-01T00:00:00Z')).toEqual([
      'RDS standard support for PostgreSQL 14 ended on 2027-02-28: RDS runs the instances on the paid RDS Extended Support. ' +
      'Upgrade the major version: docs/runbooks/major-version-upgrade.md.',
    ]);
  });

  it.each([
    ['15.13', '2027-08-28', '2027-08-29', '2028-02-29'],
    ['16.9', '2028-08-27', '2028-08-28', '2029-02-28'],
    ['17.5', '2029-08-27', '2029-08-28', '2030-02-28'],
  ])('follows the end date of the configured major: %s is silent on %s, warns from %s (support ends %s)', (engineVersion, silent, warned, ends) => {
    expect(supportWarnings(`${silent}T12:00:00Z`, engineVersion)).toEqual([]);
    expect(supportWarnings(`${warned}T12:00:00Z`, engineVersion)).toEqual([expect.stringContaining(`ends on ${ends}, within 6 months`)]);
  });
});

describe('allowMajorVersionUpgrade', () => {
  it('is off by default and accepts only true or false', () => {
    expect(configFrom().database.allowMajorVersionUpgrade).toBe(false);
    expect(() => configFrom({ allowMajorVersionUpgrade: 'yes' }))
      .toThrow(new ConfigError('allowMajorVersionUpgrade', '"yes" must be true or false'));
  });

  it('on, warns at synth that the DR replica stops replicating until it is recreated', () => {
    expect(configFrom({ allowMajorVersionUpgrade: 'true' }).warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/^allowMajorVersionUpgrade is on: .*cross-Region DR replica stops replicating until it is recreated.*docs\/runbooks\/major-version-upgrade\.md/),
    ]));
  });
});

/** Resources of `type` in the template of the stage's stack `stackId`, by logical ID. */
function resourcesOf(stage: DisasterRecoveryStage, stackId: string, type: string): Record<string, Json> {
  const resources = Template.fromStack(stage.node.findChild(stackId) as Stack).toJSON().Resources as Record<string, Json>;
  return Object.fromEntries(Object.entries(resources).filter(([, resource]) => resource.Type === type));
}

describe('the estate of each major', () => {
  const stages = new Map<string, DisasterRecoveryStage>();
  const stageOf = (engineVersion: string, allowMajorVersionUpgrade = 'false') => {
    const key = `${engineVersion} ${allowMajorVersionUpgrade}`;
    if (!stages.has(key)) stages.set(key, buildStage(configFrom({ account: TEST_ACCOUNT, controlTowerChecks: 'false', engineVersion, allowMajorVersionUpgrade })));
    return stages.get(key)!;
  };

  it.each([
    ['14.22', 'postgres14', 'DatabaseParametersB8AC9B07', 'paydb-primary-db-dev-params', 'ReplicaParameters6D392FA5', 'paydb-dr-replica-db-dev-params'],
    ['15.13', 'postgres15', 'DatabaseParametersPostgres15', 'paydb-primary-db-dev-params-postgres15', 'ReplicaParametersPostgres15', 'paydb-dr-replica-db-dev-params-postgres15'],
    ['16.9', 'postgres16', 'DatabaseParametersPostgres16', 'paydb-primary-db-dev-params-postgres16', 'ReplicaParametersPostgres16', 'paydb-dr-replica-db-dev-params-postgres16'],
    ['17.5', 'postgres17', 'DatabaseParametersPostgres17', 'paydb-primary-db-dev-params-postgres17', 'ReplicaParametersPostgres17', 'paydb-dr-replica-db-dev-params-postgres17'],
  ])('%s: both instances use a %s parameter group of their own (%s %s, %s %s)', (engineVersion, family, primaryId, primaryName, replicaId, replicaName) => {
    const stage = stageOf(engineVersion);
    for (const [stackId, id, name] of [['PrimaryRegionStack', primaryId, primaryName], ['DRDatabaseStack', replicaId, replicaName]]) {
      const [instance] = Object.values(resourcesOf(stage, stackId, 'AWS::RDS::DBInstance'));
      const groupId = referencedLogicalId(instance.Properties.DBParameterGroupName);
      expect(groupId).toMatch(new RegExp(`^${id}`));
      expect(resourcesOf(stage, stackId, 'AWS::RDS::DBParameterGroup')[groupId].Properties).toMatchObject({ Family: family, DBParameterGroupName: name });
    }
  });

  it.each(['14.22', '17.5'])('%s: the primary region has one parameter group, the primary instance\'s, which a re-protection\'s replica under its name gets too', (engineVersion) => {
    const stage = stageOf(engineVersion);
    const groups = resourcesOf(stage, 'PrimaryRegionStack', 'AWS::RDS::DBParameterGroup');
    const [instance] = Object.values(resourcesOf(stage, 'PrimaryRegionStack', 'AWS::RDS::DBInstance'));
    expect(Object.keys(groups)).toEqual([referencedLogicalId(instance.Properties.DBParameterGroupName)]);
  });

  it('the lease keeper and the orchestrator set the read-only default in the primary\'s group of the configured major, and may only there (the orchestrator also in the DR instance\'s, for a fail-back)', () => {
    const stage = stageOf('16.9');
    const functions = ['PrimaryLeaseKeeperStack', 'FailoverOrchestrationStack']
      .flatMap((stackId) => Object.values(resourcesOf(stage, stackId, 'AWS::Lambda::Function')))
      .filter((fn) => fn.Properties.Environment?.Variables?.PRIMARY_DB_PARAMETER_GROUP !== undefined);
    expect(functions.map((fn) => fn.Properties.Environment.Variables.PRIMARY_DB_PARAMETER_GROUP)).toEqual([
      'paydb-primary-db-dev-params-postgres16', 'paydb-primary-db-dev-params-postgres16',
    ]);
    const parameterGroupGrants = ['PrimaryLeaseKeeperStack', 'FailoverOrchestrationStack']
      .flatMap((stackId) => Object.values(resourcesOf(stage, stackId, 'AWS::IAM::Policy')))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Json[])
      .filter((statement) => [statement.Action].flat().includes('rds:ModifyDBParameterGroup'));
    // The orchestrator's third: the DR instance's own group, frozen by a fail-back (of the configured major too).
    expect(parameterGroupGrants.map((statement) => JSON.stringify(statement.Resource).match(/:pg:([a-z0-9-]+)"/)?.[1]).sort()).toEqual([
      'paydb-dr-replica-db-dev-params-postgres16', 'paydb-primary-db-dev-params-postgres16', 'paydb-primary-db-dev-params-postgres16',
    ]);
  });

  it('the primary allows a major version upgrade only with allowMajorVersionUpgrade', () => {
    const allowed = (stage: DisasterRecoveryStage) => Object.values(resourcesOf(stage, 'PrimaryRegionStack', 'AWS::RDS::DBInstance'))[0].Properties.AllowMajorVersionUpgrade;
    expect(allowed(stageOf('15.13'))).toBe(false);
    expect(allowed(stageOf('15.13', 'true'))).toBe(true);
  });
});
