import * as path from 'node:path';
import { CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeRoleInlineGrants } from '../../compliance/inline-grants';
import { acknowledgeFindings } from '../../compliance/nag';

export interface DrillFunctionProps {
  readonly functionName: string;
  /** Directory under `functions/` holding `handler.ts`. */
  readonly handlerDirectory: string;
  readonly description: string;
  readonly environment: Record<string, string>;
  readonly timeout: Duration;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** Encrypts the log group and the dead-letter queue. */
  readonly key: kms.IKey;
  /** TCP destinations besides HTTPS to AWS APIs (e.g. PostgreSQL on the VPC CIDRs). */
  readonly extraEgress?: ReadonlyArray<{ readonly peer: ec2.IPeer; readonly port: ec2.Port; readonly description: string }>;
}

const FUNCTIONS_ROOT = path.join(__dirname, '..', '..', '..', 'functions');

/**
 * A drill Lambda: bundled by esbuild (no Docker), Node.js 24, in the DR VPC's function subnets, encrypted
 * log group kept a year, at most two concurrent runs, failed asynchronous invocations kept in an encrypted DLQ.
 */
export class DrillFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DrillFunctionProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${props.functionName}: HTTPS to AWS APIs${props.extraEgress?.length ? ' and PostgreSQL' : ''}`,
      allowAllOutbound: false,
    });
    // IAM, EventBridge and Route53 have no interface endpoint in this VPC: their calls leave through the NAT gateways.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs (TLS)');
    for (const rule of props.extraEgress ?? []) this.securityGroup.addEgressRule(rule.peer, rule.port, rule.description);

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      encryptionKey: props.key,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      queueName: `${props.functionName}-dlq`,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeFindings(deadLetterQueue, 'This queue is itself the dead-letter queue of the drill function; a queue behind it would only collect nothing.',
      ['AwsSolutions-SQS3']);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.functionName}`,
    });
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      functionName: props.functionName,
      description: props.description,
      entry: path.join(FUNCTIONS_ROOT, props.handlerDirectory, 'handler.ts'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout,
      role: this.role,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: 2,
      deadLetterQueue,
      environment: {
        ...props.environment,
        // The Lambda Node runtime ships the RDS CA bundle here (verified TLS to PostgreSQL).
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      },
      bundling: {
        forceDockerBundling: false,
        target: 'node24',
        minify: true,
        sourceMap: true,
        externalModules: ['@aws-sdk/*', 'pg-native'],
      },
    });
    // VPC access (ENIs) as AWS documents it; the managed policy is scoped by AWS to exactly these ENI actions.
    this.role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
    acknowledgeFindings(this.role, 'AWSLambdaVPCAccessExecutionRole grants only the ENI and log actions a VPC Lambda needs; ec2:CreateNetworkInterface and friends have no resource-level scoping that would make a custom copy narrower.',
      ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]']);
    acknowledgeRoleInlineGrants(this.role);
  }
}

/** The cdk-nag finding for `lambda:InvokeFunction` on `<function ARN>:*` (its versions), which CDK grants invokers. */
export function functionVersionsFinding(fn: lambda.IFunction): string {
  const logicalId = Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement);
  return `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`;
}

/** The role EventBridge Scheduler assumes to start a drill; only schedules of this account may use it. */
export function createScheduleRole(scope: Construct, id: string, description: string): iam.Role {
  return new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } } }),
    description,
  });
}
