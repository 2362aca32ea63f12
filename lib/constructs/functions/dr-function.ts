import * as path from 'path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeRoleInlineGrants } from '../../compliance/inline-grants';
import { acknowledgeFindings, acknowledgeImportedValueFindings, controlTowerFinding } from '../../compliance/nag';
import { keyUseViaService } from '../encryption/key-use-via-service';

const REPOSITORY_ROOT = path.join(__dirname, '..', '..', '..');

export interface DrFunctionProps {
  readonly functionName: string;
  readonly description: string;
  /** Handler file relative to the repository root, e.g. `functions/replication-monitor/handler.ts`. */
  readonly entry: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** Encrypts the function's log group. */
  readonly key: kms.IKey;
  readonly environment: Record<string, string>;
  readonly timeout: Duration;
  /**
   * Reserved (and maximum) concurrent runs; undefined shares the account's unreserved pool. From configuration
   * (`reservedConcurrency`, see RESERVED_CONCURRENCY in lib/config/dr-config.ts).
   */
  readonly reservedConcurrentExecutions: number | undefined;
  /** PostgreSQL port and the VPC CIDRs where the databases live, when the function talks to them. */
  readonly databaseAccess?: { port: number; cidrs: Record<string, string> };
}

/**
 * The Lambda runtime of every DR function, pinned: `NODEJS_LATEST` would move to a new Node major with a CDK upgrade and
 * change the runtime under a deploy. nodejs24.x is a supported Lambda runtime ("Lambda runtimes", Supported runtimes,
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html#runtimes-supported); move it when that page lists its
 * deprecation. CodeBuild builds and tests on the same Node major (CODEBUILD_NODE_MAJOR in lib/pipeline/pipeline-stack.ts).
 */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** Failed asynchronous invocations (schedules, EventBridge) are kept this long in the function's dead-letter queue. */
const DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * A Lambda function of the runtime wing (`functions/`), bundled from TypeScript with the local
 * esbuild, running in private subnets with an egress-only security group, an encrypted log group,
 * X-Ray tracing, an encrypted dead-letter queue for failed asynchronous invocations, and verified
 * TLS to RDS (the Lambda runtime ships the RDS CA bundle at /var/runtime/ca-cert.pem).
 */
export class DrFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DrFunctionProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.functionName}`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole')],
    });
    acknowledgeFindings(this.role, 'AWSLambdaVPCAccessExecutionRole is the AWS-maintained minimum for a function in a VPC (ENI management and log delivery); EC2 ENI actions support no resource scoping.',
      ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]']);
    acknowledgeRoleInlineGrants(this.role);
    acknowledgeFindings(this.role, 'X-Ray trace submission (xray:PutTraceSegments, xray:PutTelemetryRecords) supports no resource-level permissions.',
      ['AwsSolutions-IAM5[Resource::*]']);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Egress of ${props.functionName}: HTTPS to AWS APIs, PostgreSQL to the databases`,
      allowAllOutbound: false,
    });
    // AWS APIs of this region are reached through VPC endpoints; the other region's through NAT.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs over HTTPS');
    for (const [label, cidr] of Object.entries(props.databaseAccess?.cidrs ?? {})) {
      this.securityGroup.addEgressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(props.databaseAccess!.port), `PostgreSQL in ${label}`);
    }

    const deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      queueName: `${props.functionName}-dlq`,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeFindings(deadLetterQueue, 'This queue is itself the dead-letter queue of the function.', ['AwsSolutions-SQS3', controlTowerFinding('sqs_dlq_check')]);
    acknowledgeImportedValueFindings(deadLetterQueue, 'KmsMasterKeyId (the region key)', ['sqs_queue_encrypted_check']);
    // Lambda sends failed asynchronous events with the function's role, through SQS, encrypted with the key.
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [props.key.keyArn],
      conditions: keyUseViaService('sqs', Stack.of(this).region),
    }));

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      encryptionKey: props.key,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeImportedValueFindings(logGroup, 'KmsKeyId (the region key)', ['cloudwatch_log_group_encrypted_check']);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      functionName: props.functionName,
      description: props.description,
      entry: path.join(REPOSITORY_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: path.join(REPOSITORY_ROOT, 'package-lock.json'),
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      role: this.role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      deadLetterQueue,
      environment: {
        ...props.environment,
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.functionName,
      },
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        target: 'node24',
        // Optional native binding of `pg`; the pure-JavaScript client is used.
        externalModules: ['pg-native'],
      },
    });
    acknowledgeImportedValueFindings(this.function, 'VpcConfig.SubnetIds (the region stack\'s function subnets)', ['lambda_inside_vpc_check']);
  }
}
