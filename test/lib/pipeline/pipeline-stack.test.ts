import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { configSourcesFrom, DrConfig, loadConfig } from '../../../lib/config/dr-config';
import { CROSS_REGION_ARTIFACT_DAYS } from '../../../lib/pipeline/artifact-buckets';
import { connectionServicePrefix } from '../../../lib/pipeline/connection-grants';
import { PipelineStack } from '../../../lib/pipeline/pipeline-stack';

const CONNECTION_ARN = 'arn:aws:codeconnections:us-west-2:222222222222:connection/12345678-abcd-4ef0-9abc-1234567890ab';
/** The project's feature flags (cdk.json) plus this test's settings, as the CLI would pass them. */
const CONTEXT: Record<string, unknown> = {
  ...JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'cdk.json'), 'utf8')).context,
  // Lambda bundles are not what these tests look at; skipping esbuild halves the synth time.
  'aws:cdk:bundling-stacks': [],
  // Checked by test/lib/compliance/control-tower.test.ts; a cfn-guard run here would only repeat it.
  controlTowerChecks: 'false',
  account: '111111111111',
  toolingAccount: '222222222222',
  environmentSuffix: 'ci',
  connectionArn: CONNECTION_ARN,
  repository: 'acme/payments-dr',
  branch: 'main',
};

interface PipelineAction {
  Name: string;
  RunOrder: number;
  Region?: string;
  ActionTypeId: { Provider: string };
  Configuration: Record<string, unknown>;
}
interface PipelineStage { Name: string; Actions: PipelineAction[] }

let config: DrConfig;
let stack: PipelineStack;
let template: Template;
let stages: PipelineStage[];
let supportTemplates: Template[];

/** The CodeBuild project a pipeline action runs, by the action's `ProjectName: { Ref }`. */
function projectOf(action: PipelineAction): Record<string, any> {
  const ref = (action.Configuration.ProjectName as { Ref: string }).Ref;
  return template.toJSON().Resources[ref].Properties;
}
function buildCommands(project: Record<string, any>): string[] {
  return JSON.parse(project.Source.BuildSpec).phases.build.commands;
}
function action(stageName: string, actionName: string): PipelineAction {
  const found = stages.find((stage) => stage.Name === stageName)?.Actions.find((candidate) => candidate.Name === actionName);
  if (!found) throw new Error(`no action ${stageName}/${actionName}`);
  return found;
}

beforeAll(() => {
  // Same flag as bin/tap.ts: an open cdk-nag finding anywhere fails every test here with the report.
  // pipeline-nag-gate.test.ts proves that the gate catches findings in the pipeline and support stacks.
  const app = new App({ context: CONTEXT, postCliContext: { '@aws-cdk/core:failSynthOnValidationErrors': true } });
  config = loadConfig(configSourcesFrom((key) => app.node.tryGetContext(key), {}));
  stack = new PipelineStack(app, 'PipelineStack', { config });
  app.synth();
  template = Template.fromStack(stack);
  stages = template.findResources('AWS::CodePipeline::Pipeline')[Object.keys(template.findResources('AWS::CodePipeline::Pipeline'))[0]]
    .Properties.Stages;
  supportTemplates = Object.values(stack.pipeline.pipeline.crossRegionSupport)
    .filter((support) => support.stack !== stack)
    .map((support) => Template.fromStack(support.stack));
});

test('the pipeline stack lives in the tooling account and region', () => {
  expect(stack.account).toBe('222222222222');
  expect(stack.region).toBe('us-west-2');
  expect(stack.stackName).toBe('PipelineStack-ci');
});

test('source is the CodeConnections connection on the configured repository and branch', () => {
  expect(stages[0].Name).toBe('Source');
  expect(stages[0].Actions).toHaveLength(1);
  expect(stages[0].Actions[0].ActionTypeId.Provider).toBe('CodeStarSourceConnection');
  expect(stages[0].Actions[0].Configuration).toMatchObject({
    ConnectionArn: CONNECTION_ARN,
    FullRepositoryId: 'acme/payments-dr',
    BranchName: 'main',
  });
});

test('stages run Source → Build → UpdatePipeline (self-mutation) → Assets → DisasterRecovery', () => {
  expect(stages.map((stage) => stage.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'DisasterRecovery']);
  const selfMutate = projectOf(action('UpdatePipeline', 'SelfMutate'));
  const spec = JSON.parse(selfMutate.Source.BuildSpec);
  expect(spec.phases.install.commands).toEqual(['npm install -g aws-cdk@2.1148.1']);
  expect(spec.phases.build.commands).toEqual(['cdk -a . deploy PipelineStack --require-approval=never --verbose']);
});

test('the asset publisher is a pinned cdk-assets version, never latest', () => {
  // Asset projects keep their buildspec as a file in the cloud assembly, next to the template.
  const assets = stages.find((stage) => stage.Name === 'Assets')!;
  const specFiles = assets.Actions.map((assetAction) => projectOf(assetAction).Source.BuildSpec as string);
  expect(specFiles.length).toBeGreaterThan(0);
  for (const specFile of specFiles) {
    const spec = JSON.parse(readFileSync(join(App.of(stack)!.outdir, specFile), 'utf8'));
    expect(spec.phases.install.commands).toEqual(['npm install -g cdk-assets@4.7.3']);
  }
});

test('synth runs npm ci, npm test and cdk synth with the context that reproduces this app, on Node 24 without Docker', () => {
  const synth = projectOf(action('Build', 'Synth'));
  expect(buildCommands(synth)).toEqual([
    'npm ci',
    'npm test',
    'npx cdk synth -c account=111111111111 -c toolingAccount=222222222222 -c environmentSuffix=ci -c serviceName=paydb ' +
      '-c primaryRegion=us-east-1 -c drRegion=us-east-2 -c toolingRegion=us-west-2 ' +
      `-c connectionArn=${CONNECTION_ARN} -c repository=acme/payments-dr -c branch=main`,
  ]);
  expect(JSON.parse(synth.Source.BuildSpec).phases.install['runtime-versions']).toEqual({ nodejs: '24' });
  expect(synth.Environment).toMatchObject({ Image: 'aws/codebuild/standard:7.0', PrivilegedMode: false });
});

test('the stage deploys the DR-region stack, then primary, then DR database, then Route53, each in its region', () => {
  const deployActions = stages.find((stage) => stage.Name === 'DisasterRecovery')!.Actions
    .filter((candidate) => candidate.ActionTypeId.Provider === 'CloudFormation');
  const deployOf = (stackName: string) => {
    const prepare = deployActions.find((candidate) => candidate.Name === `${stackName}.Prepare`);
    const deploy = deployActions.find((candidate) => candidate.Name === `${stackName}.Deploy`);
    if (!prepare || !deploy) throw new Error(`no deploy actions for ${stackName}`);
    expect(prepare.RunOrder).toBeLessThan(deploy.RunOrder);
    expect(prepare.Region).toBe(deploy.Region);
    return { runOrder: deploy.RunOrder, prepareRunOrder: prepare.RunOrder, region: deploy.Region };
  };
  const dr = deployOf('DRRegionStack-ci');
  const primary = deployOf('PrimaryRegionStack-ci');
  const drDatabase = deployOf('DRDatabaseStack-ci');
  const route53 = deployOf('Route53FailoverStack-ci');

  expect([dr.region, primary.region, drDatabase.region, route53.region]).toEqual(['us-east-2', 'us-east-1', 'us-east-2', 'us-east-2']);
  // Each stack's change set is prepared only after the stack it depends on has deployed.
  expect(primary.prepareRunOrder).toBeGreaterThan(dr.runOrder);
  expect(drDatabase.prepareRunOrder).toBeGreaterThan(primary.runOrder);
  expect(route53.prepareRunOrder).toBeGreaterThan(drDatabase.runOrder);
  // Every stack of the stage is deployed by the pipeline, none is left out.
  const stageStackNames = stack.stage.node.findAll().filter(Stack.isStack).map((node) => node.stackName);
  expect(deployActions.filter((candidate) => candidate.Name.endsWith('.Deploy')).map((candidate) => candidate.Name.replace(/\.Deploy$/, '')).sort())
    .toEqual([...new Set(stageStackNames)].sort());
});

describe('post-deploy synthetic drill', () => {
  let drill: PipelineAction;
  let commands: string[];
  beforeAll(() => {
    drill = action('DisasterRecovery', 'SyntheticDrill');
    commands = buildCommands(projectOf(drill));
  });

  test('the topology gate runs first: before the permissions approval and every deploy action, with writerRegion as synthesized', () => {
    const gate = action('DisasterRecovery', 'TopologyGate');
    const deployRunOrders = stages.find((stage) => stage.Name === 'DisasterRecovery')!.Actions
      .filter((candidate) => candidate.ActionTypeId.Provider === 'CloudFormation').map((candidate) => candidate.RunOrder);
    expect(gate.RunOrder).toBeLessThan(Math.min(...deployRunOrders));
    const confirm = stages.find((stage) => stage.Name === 'DisasterRecovery')!.Actions.find((candidate) => candidate.Name.startsWith('ConfirmPermissionsBroadening'));
    expect(confirm).toBeDefined();
    expect(gate.RunOrder).toBeLessThan(confirm!.RunOrder);
    const gateCommands = buildCommands(projectOf(gate)).join('\n');
    expect(gateCommands).toContain('aws sts assume-role --role-arn arn:aws:iam::111111111111:role/cdk-hnb659fds-lookup-role-111111111111-us-east-2');
    expect(gateCommands).toContain('npx tsx functions/topology-gate/cli.ts --expected primary --primary-region us-east-1 --primary-instance paydb-primary-db-ci ' +
      '--dr-region us-east-2 --dr-instance paydb-dr-replica-db-ci');
  });

  test('runs after the last deploy action of the stage (after Route53)', () => {
    const deployRunOrders = stages.find((stage) => stage.Name === 'DisasterRecovery')!.Actions
      .filter((candidate) => candidate.ActionTypeId.Provider === 'CloudFormation').map((candidate) => candidate.RunOrder);
    expect(drill.ActionTypeId.Provider).toBe('CodeBuild');
    expect(drill.RunOrder).toBe(Math.max(...deployRunOrders) + 1);
    expect(drill.RunOrder).toBeGreaterThan(action('DisasterRecovery', 'Route53FailoverStack-ci.Deploy').RunOrder);
  });

  test('invokes the synthetic drill function by name in the DR region with the pipeline payload', () => {
    expect(commands[0]).toBe('aws lambda invoke --region us-east-2 --function-name paydb-synthetic-drill-ci --cli-read-timeout 900 ' +
      '--cli-binary-format raw-in-base64-out --payload \'{"mode":"synthetic","trigger":"pipeline"}\' synthetic-drill-report.json');
  });

  test.each([
    ['a ready report passes', { ready: true, checks: [] }, 0],
    ['a not-ready report fails the build', { ready: false, reasons: ['replica lag 900 s'] }, 1],
    ['a function error (no "ready") fails the build', { errorType: 'Error', errorMessage: 'boom' }, 1],
    ['"ready": "true" as a string fails the build', { ready: 'true' }, 1],
  ])('the readiness gate: %s', (_name, report, expectedExit) => {
    const dir = mkdtempSync(join(tmpdir(), 'drill-gate-'));
    writeFileSync(join(dir, 'synthetic-drill-report.json'), JSON.stringify(report));
    let exitCode = 0;
    try {
      execFileSync('bash', ['-c', commands[1]], { cwd: dir, stdio: 'pipe' });
    } catch (error) {
      exitCode = (error as { status: number }).status;
    }
    expect(exitCode).toBe(expectedExit);
  });

  test('its role may invoke exactly that one function and nothing else in Lambda', () => {
    const roleArn = projectOf(drill).ServiceRole['Fn::GetAtt'][0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleArn));
    const lambdaStatements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .filter((statement: { Action: string | string[] }) => [statement.Action].flat().some((name) => name.startsWith('lambda:')));
    expect(lambdaStatements).toEqual([{
      Action: 'lambda:InvokeFunction',
      Effect: 'Allow',
      Resource: 'arn:aws:lambda:us-east-2:111111111111:function:paydb-synthetic-drill-ci',
    }]);
  });
});

test('artifact buckets are KMS-encrypted with rotating keys, versioned, TLS-only, in every region', () => {
  for (const artifactTemplate of [template, ...supportTemplates]) {
    artifactTemplate.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
    });
    artifactTemplate.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      })]) },
    });
    const keys = Object.values(artifactTemplate.findResources('AWS::KMS::Key'));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.Properties.EnableKeyRotation).toBe(true);
  }
  expect(supportTemplates.map((support) => support.toJSON().Resources).length).toBe(2);
  const pipeline = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0].Properties;
  expect(pipeline.ArtifactStores.map((store: { Region: string }) => store.Region).sort()).toEqual(['us-east-1', 'us-east-2', 'us-west-2']);
  for (const store of pipeline.ArtifactStores) expect(store.ArtifactStore.EncryptionKey.Type).toBe('KMS');
});

describe('pull-request checks', () => {
  let project: Record<string, any>;
  beforeAll(() => {
    project = Object.values(template.findResources('AWS::CodeBuild::Project'))
      .find((resource) => resource.Properties.Name === 'paydb-pr-checks-ci')!.Properties;
  });

  test('a GitHub webhook on PR created, updated and reopened against main only', () => {
    expect(project.Source).toMatchObject({
      Type: 'GITHUB',
      Location: 'https://github.com/acme/payments-dr.git',
      ReportBuildStatus: true,
      Auth: { Type: 'CODECONNECTIONS', Resource: CONNECTION_ARN },
    });
    expect(project.Triggers).toEqual({
      Webhook: true,
      FilterGroups: [[
        { Type: 'EVENT', Pattern: 'PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED' },
        { Type: 'BASE_REF', Pattern: '^refs/heads/main$' },
      ]],
    });
  });

  test('runs the same checks as the pipeline synth, encrypted with its own key', () => {
    expect(buildCommands(project)).toEqual(buildCommands(projectOf(action('Build', 'Synth'))));
    expect(JSON.parse(project.Source.BuildSpec).phases.install['runtime-versions']).toEqual({ nodejs: '24' });
    expect(project.EncryptionKey).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PullRequestChecksKey/), 'Arn'] });
    expect(project.Environment).toMatchObject({ Image: 'aws/codebuild/standard:7.0', PrivilegedMode: false });
  });

  test('may use the connection and nothing else of CodeConnections', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{
        Sid: 'UseTheSourceConnection',
        Action: ['codeconnections:GetConnection', 'codeconnections:GetConnectionToken', 'codeconnections:UseConnection'],
        Effect: 'Allow',
        Resource: CONNECTION_ARN,
      }]) },
    });
  });
});

/** Every statement of the role's inline policies (AWS::IAM::Policy resources attached to it). */
function roleStatements(roleLogicalId: string): Array<Record<string, any>> {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleLogicalId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}
const actionsOf = (statement: Record<string, any>): string[] => [statement.Action].flat();

describe('defect 4: the pipeline\'s connection grants carry the connection\'s own service prefix', () => {
  // The role CodePipeline assumes for the source action: the pipeline's SourceAction role names it.
  const sourceRoleId = () => (stages[0].Actions[0] as unknown as { RoleArn: { 'Fn::GetAtt': [string, string] } }).RoleArn['Fn::GetAtt'][0];

  test('the source action\'s role may use a codeconnections: connection with codeconnections:UseConnection', () => {
    expect(CONNECTION_ARN.split(':')[2]).toBe('codeconnections');
    const grants = roleStatements(sourceRoleId()).filter((statement) => statement.Effect === 'Allow' && actionsOf(statement).includes('codeconnections:UseConnection'));
    expect(grants.map((statement) => statement.Resource)).toEqual([CONNECTION_ARN]);
  });

  test('the pull-request checks may read the connection (GetConnection) besides its token', () => {
    const project = Object.values(template.findResources('AWS::CodeBuild::Project', { Properties: { Name: 'paydb-pr-checks-ci' } }))[0];
    const statements = roleStatements(project.Properties.ServiceRole['Fn::GetAtt'][0]);
    const connectionActions = statements.filter((statement) => statement.Resource === CONNECTION_ARN).flatMap(actionsOf);
    expect(connectionActions.sort()).toEqual(['codeconnections:GetConnection', 'codeconnections:GetConnectionToken', 'codeconnections:UseConnection']);
  });

  test('an older codestar-connections: ARN gets codestar-connections: actions', () => {
    expect(connectionServicePrefix('arn:aws:codestar-connections:us-west-2:222222222222:connection/12345678-abcd-4ef0-9abc-1234567890ab')).toBe('codestar-connections');
    expect(connectionServicePrefix(CONNECTION_ARN)).toBe('codeconnections');
    expect(() => connectionServicePrefix('arn:aws:s3:::bucket')).toThrow('not a CodeConnections connection ARN');
  });
});

describe('defect 9: the pipeline\'s artifact stores and keys are destroyable', () => {
  test('no bucket or key of the pipeline stack or its support stacks is retained', () => {
    let checked = 0;
    for (const candidate of [template, ...supportTemplates]) {
      for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key']) {
        for (const [logicalId, resource] of Object.entries(candidate.findResources(type))) {
          expect({ logicalId, DeletionPolicy: resource.DeletionPolicy, UpdateReplacePolicy: resource.UpdateReplacePolicy })
            .toEqual({ logicalId, DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
          checked += 1;
        }
      }
    }
    // The tooling-region artifact bucket, its key and the PR checks' key; one bucket and key per support stack.
    expect(checked).toBe(3 + 2 * supportTemplates.length);
  });

  test('the tooling-region artifact bucket is emptied on delete', () => {
    const [bucketId] = Object.keys(template.findResources('AWS::S3::Bucket'));
    template.hasResourceProperties('Custom::S3AutoDeleteObjects', { BucketName: { Ref: bucketId } });
    template.hasResourceProperties('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } });
  });

  test('the support stacks\' buckets (which cannot carry the auto-delete custom resource) expire every object version', () => {
    expect(supportTemplates).toHaveLength(2);
    for (const support of supportTemplates) {
      support.hasResourceProperties('AWS::S3::Bucket', {
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: { Rules: [{
          Id: 'ExpireArtifacts', Status: 'Enabled', ExpirationInDays: CROSS_REGION_ARTIFACT_DAYS,
          NoncurrentVersionExpiration: { NoncurrentDays: CROSS_REGION_ARTIFACT_DAYS }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        }] },
      });
    }
  });
});

describe('permissions broadening stops for a human (confirmPermissionsBroadening, on by default)', () => {
  test('the DR stage first diffs IAM and security groups (Check), then waits for approval (Confirm), before any deploy', () => {
    const actions = stages.find((stage) => stage.Name === 'DisasterRecovery')!.Actions;
    const check = actions.find((candidate) => candidate.Name === 'ConfirmPermissionsBroadening.Check')!;
    const confirm = actions.find((candidate) => candidate.Name === 'ConfirmPermissionsBroadening.Confirm')!;
    expect([check.ActionTypeId.Provider, confirm.ActionTypeId.Provider]).toEqual(['CodeBuild', 'Manual']);
    const firstDeploy = Math.min(...actions.filter((candidate) => candidate.ActionTypeId.Provider === 'CloudFormation').map((candidate) => candidate.RunOrder));
    expect(check.RunOrder).toBeLessThan(confirm.RunOrder);
    expect(confirm.RunOrder).toBeLessThan(firstDeploy);
    // The check approves by itself when nothing broadens: its auto-approve function may only approve this pipeline.
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', { Tags: Match.arrayWith([{ Key: 'SECURITY_CHECK', Value: 'ALLOW_APPROVE' }]) });
  });

  test('can be turned off, with one clean line for a bad value', () => {
    const app = new App({ context: { ...CONTEXT, confirmPermissionsBroadening: 'false' } });
    const off = new PipelineStack(app, 'PipelineStack', { config: loadConfig(configSourcesFrom((key) => app.node.tryGetContext(key), {})) });
    const names = off.pipeline.pipeline.stages.flatMap((stage) => stage.actions.map((candidate) => candidate.actionProperties.actionName));
    expect(names.filter((name) => name.startsWith('ConfirmPermissionsBroadening'))).toEqual([]);
    expect(() => loadConfig(configSourcesFrom((key) => ({ confirmPermissionsBroadening: 'maybe' } as Record<string, unknown>)[key], {})))
      .toThrow('Invalid configuration "confirmPermissionsBroadening": "maybe" must be true or false');
  });
});
