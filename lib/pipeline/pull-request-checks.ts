import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DrConfig, resourceName } from '../config/dr-config';
import { acknowledgeRoleInlineGrants } from '../compliance/inline-grants';
import { acknowledgeFindings } from '../compliance/nag';
import { allowGrantsOnlyForAwsServices } from '../constructs/encryption/grants-for-aws-services-only';
import { connectionServicePrefix } from './connection-grants';
import { acknowledgeCodeBuildDefaultLogging, acknowledgeCodeBuildLogGrants } from './pipeline-findings';
import { synthCommand } from './synth-context';

export interface PullRequestChecksProps {
  readonly config: DrConfig;
  /** CodeBuild image and Node.js runtime (CODEBUILD_NODE_MAJOR) shared with the pipeline's own projects. */
  readonly buildImage: codebuild.IBuildImage;
  readonly nodeRuntime: codebuild.BuildSpec;
}

/** Webhook events that (re)run the checks: a pull request opened, pushed to, or reopened. */
export const PULL_REQUEST_EVENTS = [
  codebuild.EventAction.PULL_REQUEST_CREATED,
  codebuild.EventAction.PULL_REQUEST_UPDATED,
  codebuild.EventAction.PULL_REQUEST_REOPENED,
];

/**
 * CodeBuild checks on pull requests against the deploy branch: tests, synth and the cdk-nag gate,
 * with the status reported back to GitHub. Authenticates through the pipeline's CodeConnections
 * connection, so no GitHub token is stored.
 */
export class PullRequestChecks extends Construct {
  readonly project: codebuild.Project;

  constructor(scope: Construct, id: string, props: PullRequestChecksProps) {
    super(scope, id);
    const { config } = props;
    const [owner, repo] = config.pipeline.repository.split('/');
    const key = new kms.Key(this, 'Key', {
      description: `Encrypts build output of the pull-request checks (${config.environmentSuffix})`,
      enableKeyRotation: true,
      // Destroyable like everything else (CDK's default keeps keys): build output is reproducible from git.
      pendingWindow: Duration.days(7),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    allowGrantsOnlyForAwsServices(key);

    this.project = new codebuild.Project(this, 'Project', {
      projectName: resourceName(config, 'pr-checks'),
      description: `Pull-request checks: npm ci, npm test, cdk synth with cdk-nag (base branch ${config.pipeline.branch})`,
      source: codebuild.Source.gitHub({
        owner,
        repo,
        webhook: true,
        reportBuildStatus: true,
        // Anchored: a bare branch pattern would also match `main-experiment`.
        webhookFilters: [codebuild.FilterGroup.inEventOf(...PULL_REQUEST_EVENTS).andBaseRefIs(`^refs/heads/${escapeRegExp(config.pipeline.branch)}$`)],
      }),
      environment: { buildImage: props.buildImage, computeType: codebuild.ComputeType.MEDIUM },
      encryptionKey: key,
      timeout: Duration.minutes(30),
      buildSpec: codebuild.mergeBuildSpecs(props.nodeRuntime, codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: { build: { commands: ['npm ci', 'npm test', synthCommand(config)] } },
      })),
    });

    // CodeBuild's L2 GitHub source has no CodeConnections option; the CloudFormation property does.
    const cfnProject = this.project.node.defaultChild as codebuild.CfnProject;
    cfnProject.addPropertyOverride('Source.Auth', { Type: 'CODECONNECTIONS', Resource: config.pipeline.connectionArn });
    // A GitHub App connection as the project's source credential: the service role reads the connection and gets its
    // token ("GitHub App connections", https://docs.aws.amazon.com/codebuild/latest/userguide/connections-github-app.html),
    // with the action prefix of the connection's ARN.
    const connectionService = connectionServicePrefix(config.pipeline.connectionArn);
    this.project.addToRolePolicy(new iam.PolicyStatement({
      sid: 'UseTheSourceConnection',
      actions: [`${connectionService}:GetConnection`, `${connectionService}:GetConnectionToken`, `${connectionService}:UseConnection`],
      resources: [config.pipeline.connectionArn],
    }));

    acknowledgeCodeBuildLogGrants(this.project);
    acknowledgeCodeBuildDefaultLogging(this.project);
    acknowledgeFindings(this.project, 'GitHub access goes through the CodeConnections connection (Source.Auth type CODECONNECTIONS): no token in the URL or the project. The rule accepts only the older OAuth type.',
      ['PCI.DSS.321-CodeBuildProjectSourceRepoUrl']);
    acknowledgeRoleInlineGrants(this.project.role!);
    acknowledgeFindings(this.project.role!, 'Encrypt/decrypt grant on the project\'s own KMS key; the wildcards are the data-key and re-encrypt action families, on that key only.',
      ['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]']);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
