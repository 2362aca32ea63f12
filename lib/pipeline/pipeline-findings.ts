import { CfnElement, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { IConstruct } from 'constructs';
import { acknowledgeRoleInlineGrants } from '../compliance/inline-grants';
import { acknowledgeFindings, controlTowerFinding } from '../compliance/nag';

/**
 * Reasoned acknowledgements of the cdk-nag findings on what CDK Pipelines generates (roles,
 * CodeBuild projects, artifact buckets). Call after `buildPipeline()`: the constructs exist only then.
 * Each acknowledgement names the exact finding, so a new, wider grant still fails synth.
 */
export function acknowledgePipelineFindings(pipeline: pipelines.CodePipeline): void {
  const stack = Stack.of(pipeline);
  const codePipeline = pipeline.pipeline;
  const arnPrefix = (service: string) => `arn:${stack.partition}:${service}:${stack.region}:${stack.account}`;

  const supportBuckets = Object.values(codePipeline.crossRegionSupport).map((support) => support.replicationBucket);
  const artifactObjects = [
    `Resource::<${logicalId(codePipeline.artifactBucket)}.Arn>/*`,
    ...supportBuckets.filter((bucket) => bucket !== codePipeline.artifactBucket)
      .map((bucket) => `Resource::arn:${stack.partition}:s3:::${stack.resolve(bucket.bucketName)}/*`),
  ];
  for (const role of pipeline.node.findAll().filter((node): node is iam.Role => node instanceof iam.Role)) {
    acknowledgeRoleInlineGrants(role);
    acknowledgeFindings(role, 'CDK Pipelines\' read/write grant on the pipeline\'s own artifact buckets: object keys are generated per execution, so the grant covers the objects of those buckets only.',
      ['AwsSolutions-IAM5[Action::s3:GetObject*]', 'AwsSolutions-IAM5[Action::s3:GetBucket*]', 'AwsSolutions-IAM5[Action::s3:List*]',
        'AwsSolutions-IAM5[Action::s3:Abort*]', 'AwsSolutions-IAM5[Action::s3:DeleteObject*]', ...artifactObjects.map((id) => `AwsSolutions-IAM5[${id}]`)]);
    acknowledgeFindings(role, 'Encrypt/decrypt grant on the artifact KMS keys; the wildcards are the data-key and re-encrypt action families, on those keys only.',
      ['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]']);
  }

  for (const project of pipeline.node.findAll().filter((node): node is codebuild.Project => node instanceof codebuild.Project)) {
    acknowledgeCodeBuildLogGrants(project);
    acknowledgeCodeBuildDefaultLogging(project);
    acknowledgeFindings(project, 'The project\'s source is the CodePipeline artifact (type CODEPIPELINE), not a repository URL; the rule expects OAuth on every project regardless of source type.',
      ['PCI.DSS.321-CodeBuildProjectSourceRepoUrl']);
  }

  acknowledgeFindings(codePipeline.role, 'The cross-region support stacks\' artifact keys are known to the pipeline only by alias, so CDK grants their use on "*"; the role can be assumed only by this pipeline.',
    ['AwsSolutions-IAM5[Resource::*]']);

  const selfMutationRole = findRole(pipeline, 'UpdatePipeline/SelfMutation');
  acknowledgeFindings(selfMutationRole, 'Self-mutation assumes only the CDK bootstrap roles of the account (condition on the aws-cdk:bootstrap-role tag: deploy, file- and image-publishing).',
    [`AwsSolutions-IAM5[Resource::arn:*:iam::${stack.account}:role/*]`]);
  acknowledgeFindings(selfMutationRole, 'The CDK CLI reads stack status (cloudformation:DescribeStacks) and lists buckets before deploying; both actions are read-only and, for ListBucket, needed before the bootstrap bucket is known.',
    ['AwsSolutions-IAM5[Resource::*]']);

  const assetRole = pipeline.node.findChild('Assets').node.findChild('FileRole');
  acknowledgeFindings(assetRole, 'CDK Pipelines\' shared asset-publishing role: one role for all publishing steps, so CDK grants logs and reports of any CodeBuild project in this account and region, and starting builds of the publishing projects, whose names it does not know when writing the role.',
    [`AwsSolutions-IAM5[Resource::${arnPrefix('logs')}:log-group:/aws/codebuild/*]`,
      `AwsSolutions-IAM5[Resource::${arnPrefix('codebuild')}:report-group/*]`, 'AwsSolutions-IAM5[Resource::*]']);

  for (const bucket of [codePipeline.artifactBucket, ...supportBuckets]) acknowledgeArtifactBucket(bucket);

  const securityCheck = pipeline.node.tryFindChild('PipelinesSecurityCheck');
  if (securityCheck) acknowledgeSecurityCheck(securityCheck, logicalId(securityCheck.node.findChild('CDKPipelinesAutoApprove')));
}

/**
 * CDK Pipelines' permissions-broadening check (ConfirmPermissionsBroadening): a CodeBuild project that diffs the stage
 * and a function that approves the manual approval when nothing broadens. Both are CDK's, one per pipeline.
 */
function acknowledgeSecurityCheck(securityCheck: IConstruct, autoApproveLogicalId: string): void {
  const autoApprove = securityCheck.node.findChild('CDKPipelinesAutoApprove');
  acknowledgeFindings(autoApprove, 'CDK Pipelines\' auto-approve function calls only the CodePipeline API (PutApprovalResult) from the tooling account; it reaches no private resource, so a VPC adds nothing.',
    ['PCI.DSS.321-LambdaInsideVPC', controlTowerFinding('lambda_inside_vpc_check')]);
  acknowledgeFindings(autoApprove, 'AWSLambdaBasicExecutionRole is the AWS-maintained minimum for the function\'s own log delivery.',
    ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]']);
  acknowledgeFindings(autoApprove, 'codepipeline:GetPipelineState and PutApprovalResult on "*" but only on pipelines tagged SECURITY_CHECK=ALLOW_APPROVE (aws:ResourceTag condition): this pipeline.',
    ['AwsSolutions-IAM5[Resource::*]']);
  acknowledgeFindings(securityCheck.node.findChild('CDKSecurityCheck'), 'The check assumes only the CDK bootstrap deploy roles (sts:AssumeRole on "*" conditioned on the aws-cdk:bootstrap-role=deploy tag) to diff the deployed stage, and invokes the auto-approve function and its versions (<arn>:*).',
    ['AwsSolutions-IAM5[Resource::*]', `AwsSolutions-IAM5[Resource::<${autoApproveLogicalId}.Arn>:*]`]);
}

/** CodeBuild's grants on the project's own log group and report groups (every project has them). */
export function acknowledgeCodeBuildLogGrants(project: codebuild.Project): void {
  if (!project.role) return;
  const stack = Stack.of(project);
  const arnPrefix = (service: string) => `arn:${stack.partition}:${service}:${stack.region}:${stack.account}`;
  const projectName = `<${logicalId(project)}>`;
  acknowledgeFindings(project.role, 'CodeBuild writes each build to a new stream of the project\'s own log group and its own report groups, whose names are made per build.',
    [`AwsSolutions-IAM5[Resource::${arnPrefix('logs')}:log-group:/aws/codebuild/${projectName}:*]`,
      `AwsSolutions-IAM5[Resource::${arnPrefix('codebuild')}:report-group/${projectName}-*]`]);
}

/**
 * CodeBuild logs every build to CloudWatch Logs (/aws/codebuild/<project>) unless LogsConfig turns it off: "CloudWatch
 * Logs are enabled by default" (LogsConfig, https://docs.aws.amazon.com/codebuild/latest/APIReference/API_LogsConfig.html).
 * Control Tower's CT.CODEBUILD.PR.3 wants it stated; CDK states it only with a log group of ours, which would duplicate
 * the default one (and need its own key and retention).
 */
export function acknowledgeCodeBuildDefaultLogging(project: codebuild.IProject): void {
  acknowledgeFindings(project, 'Builds log to CloudWatch Logs by CodeBuild\'s default (/aws/codebuild/<project>); the template omits LogsConfig, which the control reads.',
    [controlTowerFinding('codebuild_project_logging_enabled_check')]);
}

/** Findings on an artifact bucket CodePipeline creates (here or in a cross-region support stack). */
function acknowledgeArtifactBucket(bucket: s3.IBucket): void {
  acknowledgeFindings(bucket, 'Pipeline artifacts are transient build outputs, reproducible from git; every access is by the pipeline\'s roles and recorded by CloudTrail.',
    ['AwsSolutions-S1', 'PCI.DSS.321-S3BucketLoggingEnabled', controlTowerFinding('s3_bucket_logging_enabled_check')]);
  acknowledgeFindings(bucket, 'Only the pipeline reads its artifacts, within its own run: nothing acts on an object\'s arrival.',
    [controlTowerFinding('s3_event_notifications_enabled_check')]);
  acknowledgeFindings(bucket, 'No Object Lock: artifacts expire and the pipeline must stay destroyable; locked objects would keep the bucket and its stack.',
    [controlTowerFinding('s3_bucket_object_lock_enabled_check')]);
  acknowledgeFindings(bucket, 'Pipeline artifacts are reproducible from git and the pipeline runs in a third region; a replica would add nothing a re-run does not.',
    ['PCI.DSS.321-S3BucketReplicationEnabled']);
}

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

function findRole(pipeline: pipelines.CodePipeline, projectPath: string): iam.IRole {
  const project = projectPath.split('/').reduce<IConstruct>((node, id) => node.node.findChild(id), pipeline) as codebuild.Project;
  if (!project.role) throw new Error(`CDK Pipelines project ${projectPath} has no role`);
  return project.role;
}
