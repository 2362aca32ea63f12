import { dirname, join } from 'path';
import { getDenialReasons, getGrantReasons, runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { functionAwsCalls, type EstateLookup } from '../../../contract/function-aws-calls';
import type { DrConfig } from '../../../../lib/config/dr-config';
import { drResourceNames } from '../../../../lib/config/resource-names';
import type { EstateTemplate } from '../../support/estate-templates';
import { EstatePolicies, type NamedPolicy } from './policies';
import { TemplateResolver } from './resolver';

type Json = Record<string, any>;

/**
 * One request of one principal, as IAM evaluates it: who (a role ARN or a service principal), what, on which resource,
 * with which request context. `context` holds only the keys AWS documents for that request; a policy that depends on
 * any other key fails the edge.
 */
export interface Edge {
  /** Where the edge comes from, e.g. `alarm paydb-replication-lag-dev → topic` or `function paydb-lease-keeper-dev`. */
  readonly source: string;
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** The account that owns the resource (for cross-account requests). */
  readonly resourceAccount: string;
  readonly context: Readonly<Record<string, string | string[]>>;
  /** For edges that must stay denied: why. */
  readonly why?: string;
}

export interface Verdict {
  readonly edge: Edge;
  readonly decision: string;
  /** The statements that decided: the allowing ones for an allowed request, the denying or missing ones otherwise. */
  readonly deciding: string;
}

const SECURE = { 'aws:SecureTransport': 'true' };

/** The edges of the synthesized estate and the evaluator. Build with `PermissionGraph.of(templates, config)`. */
export class PermissionGraph {
  readonly resolver: TemplateResolver;
  readonly policies: EstatePolicies;
  readonly allowed: Edge[] = [];
  readonly denied: Edge[] = [];
  /** Calls the functions' code makes that the infrastructure does not grant yet (`why`: what is awaited). */
  readonly awaitingInfrastructure: Edge[] = [];

  private constructor(templates: readonly EstateTemplate[], readonly config: DrConfig) {
    this.resolver = new TemplateResolver(templates);
    this.policies = new EstatePolicies(this.resolver);
  }

  static of(templates: readonly EstateTemplate[], config: DrConfig): PermissionGraph {
    const graph = new PermissionGraph(templates, config);
    graph.functionCalls();
    graph.alarmNotifications();
    graph.bucketNotifications();
    graph.ruleTargets();
    graph.schedules();
    graph.functionRuntime();
    graph.stateMachines();
    graph.encryptedLogGroups();
    graph.backupReplication();
    graph.accessLogDelivery();
    graph.pipeline();
    graph.crossSourceDenials();
    return graph;
  }

  /** Evaluates one edge against the principal's identity policies and the resource's policy (key policy for a key). */
  async evaluate(edge: Edge): Promise<Verdict> {
    const identityPolicies = this.policies.identityPolicies(edge.principal);
    const resourcePolicy = this.policies.resourcePolicy(edge.resource);
    const simulation = (contextVariables: Record<string, string | string[]>) => ({
      request: { principal: edge.principal, action: edge.action, resource: { resource: edge.resource, accountId: edge.resourceAccount }, contextVariables },
      identityPolicies: identityPolicies.map((policy) => ({ name: policy.name, policy: policy.document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy: resourcePolicy.document } : {}),
    });
    // The evaluator validates action, resource type and context keys against AWS's service reference, but drops
    // variable condition keys whose variable part holds colons (`kms:EncryptionContext:aws:logs:arn`). Such a request is
    // validated without those keys, then decided with every key by the evaluator's unvalidated entry point.
    const [validatedContext, unvalidatedKeys] = splitContext(edge.context);
    const result = await runSimulation(simulation(validatedContext), {});
    if (result.resultType === 'error') return { edge, decision: 'error', deciding: JSON.stringify(result.errors) };
    const analysis = result.resultType === 'single' ? result.result.analysis : result.results[0]?.analysis;
    const ignored = result.resultType === 'single' ? result.result.ignoredContextKeys ?? [] : [];
    if (ignored.length > 0) return { edge, decision: 'error', deciding: `context keys that do not apply to ${edge.action}: ${ignored.join(', ')}` };
    if (unvalidatedKeys.length > 0) {
      const decision = authorizeUnvalidated(simulation({ ...edge.context }), resourcePolicy?.name ?? 'resource policy');
      return { edge, decision, deciding: `decided with ${unvalidatedKeys.join(', ')} in the context (not validated by the evaluator); ${resourcePolicy?.name ?? 'no resource policy'}` };
    }
    if (!analysis) return { edge, decision: result.overallResult, deciding: 'no analysis' };
    return { edge, decision: result.overallResult, deciding: describe(result.overallResult, analysis, identityPolicies, resourcePolicy) };
  }

  /** `principal → action → resource` as a test name. */
  static label(edge: Edge): string {
    const context = Object.entries(edge.context).filter(([key]) => key !== 'aws:SecureTransport');
    return `${edge.source}: ${edge.principal} → ${edge.action} → ${edge.resource}${context.length ? ` [${context.map(([key, value]) => `${key}=${[value].flat().join('|')}`).join(', ')}]` : ''}`;
  }

  // ---- edges ------------------------------------------------------------------------------------------------------

  private readonly seen = new Set<string>();

  /** Adds an edge once (several notifications of one bucket to one topic are one request). */
  private add(list: Edge[], edge: Omit<Edge, 'resourceAccount'> & { resourceAccount?: string }): void {
    const complete = { ...edge, resourceAccount: edge.resourceAccount ?? accountOf(edge.resource, this.config.workloadAccount) };
    const key = JSON.stringify([list === this.allowed, complete.principal, complete.action, complete.resource, complete.context]);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    list.push(complete);
  }

  private allow(edge: Omit<Edge, 'resourceAccount'> & { resourceAccount?: string }): void {
    this.add(this.allowed, edge);
  }

  private deny(edge: Omit<Edge, 'resourceAccount'> & { resourceAccount?: string }): void {
    this.add(this.denied, edge);
  }

  private lookup(): EstateLookup {
    const names = drResourceNames(this.config);
    const { resolver } = this;
    const stage = (stack: string) => resolver.templates.find((candidate) => candidate.path.endsWith(`/DisasterRecovery/${stack}`))!;
    const only = (owner: EstateTemplate, type: string, match: (resource: Json) => boolean = () => true) => {
      const found = resolver.resources(owner).filter(([, resource]) => resource.Type === type && match(resource));
      if (found.length !== 1) throw new Error(`${owner.path}: expected one ${type}, found ${found.length}`);
      return found[0][0];
    };
    return {
      config: this.config,
      keyArn: (side) => {
        const owner = stage(side === 'dr' ? 'DRRegionStack' : 'PrimaryRegionStack');
        return resolver.resolve(owner, { 'Fn::GetAtt': [only(owner, 'AWS::KMS::Key'), 'Arn'] });
      },
      hostedZoneId: () => resolver.resolve(stage('Route53FailoverStack'), { Ref: only(stage('Route53FailoverStack'), 'AWS::Route53::HostedZone') }),
      healthCheckIds: () => resolver.resources(stage('Route53FailoverStack')).filter(([, resource]) => resource.Type === 'AWS::Route53::HealthCheck')
        .map(([logicalId]) => resolver.resolve(stage('Route53FailoverStack'), { Ref: logicalId })),
      functionRoleArn: (functionName) => this.functionRole(functionName),
      secretArn: (side) => (side === 'primary'
        ? resolver.resolve(stage('PrimaryRegionStack'), { Ref: only(stage('PrimaryRegionStack'), 'AWS::SecretsManager::Secret') })
        : `arn:aws:secretsmanager:${this.config.regions.dr}:${this.config.workloadAccount}:secret:${names.dbSecret}-AbCdEf`),
      securityGroupArn: (side) => {
        const owner = stage(side === 'replica' || side === 'dr-fence' ? 'DRDatabaseStack' : 'PrimaryRegionStack');
        const fenceName = side === 'primary-fence' ? 'primary-db-fence' : side === 'dr-fence' ? 'dr-db-fence' : undefined;
        const logicalId = fenceName ? only(owner, 'AWS::EC2::SecurityGroup', (resource) => resource.Properties.GroupName === `${this.config.serviceName}-${fenceName}-${this.config.environmentSuffix}`)
          : only(owner, 'AWS::EC2::SecurityGroup', (resource) => String(resource.Properties.GroupDescription).startsWith('PostgreSQL clients of'));
        return `arn:aws:ec2:${owner.region}:${owner.account}:security-group/${resolver.resolve(owner, { Ref: logicalId })}`;
      },
      monitoringRoleArn: (side) => {
        const owner = stage(side === 'dr' ? 'DRDatabaseStack' : 'PrimaryRegionStack');
        const instance = resolver.resources(owner).find(([, resource]) => resource.Type === 'AWS::RDS::DBInstance')![1];
        return resolver.resolve(owner, instance.Properties.MonitoringRoleArn);
      },
    };
  }

  /** The role ARN of the function named `functionName`. */
  functionRole(functionName: string): string {
    for (const { owner, resource } of this.resolver.all('AWS::Lambda::Function')) {
      if (this.resolver.resolve(owner, resource.Properties.FunctionName) === functionName) return this.resolver.resolve(owner, resource.Properties.Role);
    }
    throw new Error(`no function ${functionName}`);
  }

  /** (a) Every AWS call each function makes, and the calls that must stay denied to it (test/contract/function-aws-calls.ts). */
  private functionCalls(): void {
    for (const fn of functionAwsCalls(this.lookup())) {
      const principal = this.functionRole(fn.functionName);
      for (const call of fn.calls) {
        const edge = { source: `function ${fn.functionName}`, principal, action: call.action, resource: call.resource, context: { ...SECURE, ...call.context } };
        // Made by the code, not granted by the infrastructure yet: must still be denied (the marker goes with the grant).
        if (call.awaitingInfrastructure) this.awaitingInfrastructure.push({ ...edge, resourceAccount: accountOf(edge.resource, this.config.workloadAccount), why: call.awaitingInfrastructure });
        else this.allow(edge);
      }
      for (const call of fn.mustBeDenied) this.deny({ source: `function ${fn.functionName}`, principal, action: call.action, resource: call.resource, context: { ...SECURE, ...call.context }, why: call.why });
    }
  }

  /** The key that encrypts a topic or queue, from its template. */
  private encryptionKeyOf(arn: string): string | undefined {
    for (const type of ['AWS::SNS::Topic', 'AWS::SQS::Queue']) {
      for (const { owner, logicalId, resource } of this.resolver.all(type)) {
        const own = type === 'AWS::SNS::Topic' ? this.resolver.resolve(owner, { Ref: logicalId }) : this.resolver.resolve(owner, { 'Fn::GetAtt': [logicalId, 'Arn'] });
        if (own !== arn) continue;
        const key = resource.Properties.KmsMasterKeyId;
        if (key === undefined) return undefined;
        const resolved = String(this.resolver.resolve(owner, key));
        return resolved.startsWith('arn:') ? resolved : `arn:aws:kms:${owner.region}:${owner.account}:key/${resolved}`;
      }
    }
    throw new Error(`no topic or queue ${arn} in the templates`);
  }

  /** A delivery by an AWS service principal into an encrypted topic or queue: the service's KMS calls on the key. */
  private serviceKmsEdges(source: string, service: string, target: string): void {
    const key = this.encryptionKeyOf(target);
    if (!key) return;
    // The key-policy statements AWS documents for event sources carry no condition, and no AWS page says the KMS request
    // carries aws:SourceAccount or aws:SourceArn: the request context is empty (lib/constructs/encryption/regional-key.ts).
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) this.allow({ source: `${source} (encryption)`, principal: service, action, resource: key, context: {} });
  }

  /** (b) CloudWatch alarm actions → SNS, and CloudWatch's use of the topic's key. */
  private alarmNotifications(): void {
    for (const type of ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm']) {
      for (const { owner, logicalId, resource } of this.resolver.all(type)) {
        const alarmArn = this.resolver.resolve(owner, { 'Fn::GetAtt': [logicalId, 'Arn'] });
        const topics = new Set<string>([...this.resolver.resolve(owner, resource.Properties.AlarmActions ?? []), ...this.resolver.resolve(owner, resource.Properties.OKActions ?? [])]);
        for (const topic of topics) {
          const source = `alarm ${alarmArn.split(':').pop()}`;
          // CloudWatch publishes as its service principal with the alarm as aws:SourceArn
          // (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger).
          this.allow({ source, principal: 'cloudwatch.amazonaws.com', action: 'sns:Publish', resource: topic, context: { ...SECURE, 'aws:SourceArn': alarmArn } });
          this.serviceKmsEdges(source, 'cloudwatch.amazonaws.com', topic);
        }
      }
    }
  }

  /** (b) S3 event notifications → SNS (and S3's use of the topic's key): the delivery S3 also tests when it writes the configuration. */
  private bucketNotifications(): void {
    for (const { owner, resource } of this.resolver.all('Custom::S3BucketNotifications')) {
      const bucket = this.resolver.resolve(owner, resource.Properties.BucketName);
      for (const configuration of this.resolver.resolve(owner, resource.Properties.NotificationConfiguration.TopicConfigurations ?? []) as Json[]) {
        const source = `bucket ${bucket} notifications`;
        // The topic-policy example S3 documents conditions on both keys (grant-destinations-permissions-to-s3).
        this.allow({ source, principal: 's3.amazonaws.com', action: 'sns:Publish', resource: configuration.TopicArn, context: { ...SECURE, 'aws:SourceArn': `arn:aws:s3:::${bucket}`, 'aws:SourceAccount': owner.account } });
        this.serviceKmsEdges(source, 's3.amazonaws.com', configuration.TopicArn);
      }
    }
  }

  /** (b) EventBridge rules → Lambda targets and their dead-letter queues (and EventBridge's use of the queue's key). */
  private ruleTargets(): void {
    for (const { owner, logicalId, resource } of this.resolver.all('AWS::Events::Rule')) {
      const ruleArn = this.resolver.resolve(owner, { 'Fn::GetAtt': [logicalId, 'Arn'] });
      const source = `rule ${ruleArn.split('/').pop()}`;
      for (const target of this.resolver.resolve(owner, resource.Properties.Targets ?? []) as Json[]) {
        if (!String(target.Arn).includes(':lambda:')) throw new Error(`${source}: target ${target.Arn} is not a function; add its edge`);
        // EventBridge invokes with its service principal and the rule as aws:SourceArn (eb-use-resource-based, Lambda permissions).
        this.allow({ source, principal: 'events.amazonaws.com', action: 'lambda:InvokeFunction', resource: target.Arn, context: { ...SECURE, 'aws:SourceArn': ruleArn } });
        if (target.DeadLetterConfig) {
          this.allow({ source: `${source} dead letters`, principal: 'events.amazonaws.com', action: 'sqs:SendMessage', resource: target.DeadLetterConfig.Arn, context: { ...SECURE, 'aws:SourceArn': ruleArn } });
          this.serviceKmsEdges(`${source} dead letters`, 'events.amazonaws.com', target.DeadLetterConfig.Arn);
        }
      }
    }
  }

  /** (b) EventBridge Scheduler: assumes the schedule role, which invokes the target, decrypts the schedule and sends dead letters. */
  private schedules(): void {
    for (const { owner, logicalId, resource } of this.resolver.all('AWS::Scheduler::Schedule')) {
      const properties = this.resolver.resolve(owner, resource.Properties) as Json;
      const scheduleArn = this.resolver.resolve(owner, { 'Fn::GetAtt': [logicalId, 'Arn'] });
      const source = `schedule ${properties.Name}`;
      const role = properties.Target.RoleArn;
      // The execution role's trust policy, with the confused-deputy keys Scheduler documents (https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html).
      this.allow({ source, principal: 'scheduler.amazonaws.com', action: 'sts:AssumeRole', resource: role, context: { 'aws:SourceAccount': owner.account, 'aws:SourceArn': scheduleArn } });
      const targetAction = String(properties.Target.Arn).includes(':states:') ? 'states:StartExecution' : 'lambda:InvokeFunction';
      this.allow({ source, principal: role, action: targetAction, resource: properties.Target.Arn, context: SECURE });
      if (properties.KmsKeyArn) {
        this.allow({ source: `${source} (schedule encryption)`, principal: role, action: 'kms:Decrypt', resource: properties.KmsKeyArn, context: { 'kms:ViaService': `scheduler.${owner.region}.amazonaws.com` } });
      }
      if (properties.Target.DeadLetterConfig) {
        const queue = properties.Target.DeadLetterConfig.Arn;
        this.allow({ source: `${source} dead letters`, principal: role, action: 'sqs:SendMessage', resource: queue, context: SECURE });
        const key = this.encryptionKeyOf(queue);
        if (key) {
          for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) this.allow({ source: `${source} dead letters (encryption)`, principal: role, action, resource: key, context: { 'kms:ViaService': `sqs.${owner.region}.amazonaws.com` } });
        }
      }
    }
  }

  /** (b) Lambda assumes each function's role; a function's dead-letter queue is written with that role through SQS. */
  private functionRuntime(): void {
    for (const { owner, resource } of this.resolver.all('AWS::Lambda::Function')) {
      const properties = this.resolver.resolve(owner, resource.Properties) as Json;
      const name = properties.FunctionName ?? '(CDK handler)';
      this.allow({ source: `function ${name}`, principal: 'lambda.amazonaws.com', action: 'sts:AssumeRole', resource: properties.Role, context: {} });
      const queue = properties.DeadLetterConfig?.TargetArn;
      if (queue) {
        this.allow({ source: `function ${name} dead letters`, principal: properties.Role, action: 'sqs:SendMessage', resource: queue, context: SECURE });
        const key = this.encryptionKeyOf(queue);
        if (key) {
          for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) this.allow({ source: `function ${name} dead letters (encryption)`, principal: properties.Role, action, resource: key, context: { 'kms:ViaService': `sqs.${owner.region}.amazonaws.com` } });
        }
      }
    }
  }

  /** (b) Step Functions: the state machine's role invokes the functions of its definition. */
  private stateMachines(): void {
    for (const { owner, resource } of this.resolver.all('AWS::StepFunctions::StateMachine')) {
      const properties = this.resolver.resolve(owner, resource.Properties) as Json;
      const source = `state machine ${properties.StateMachineName}`;
      const stateMachineArn = `arn:aws:states:${owner.region}:${owner.account}:stateMachine:${properties.StateMachineName}`;
      // Step Functions assumes the role with the state machine as aws:SourceArn (https://docs.aws.amazon.com/step-functions/latest/dg/cross-service-confused-deputy-prevention.html).
      this.allow({ source, principal: 'states.amazonaws.com', action: 'sts:AssumeRole', resource: properties.RoleArn, context: { 'aws:SourceArn': stateMachineArn, 'aws:SourceAccount': owner.account } });
      const functions = new Set<string>();
      const visit = (states: Json) => {
        for (const state of Object.values(states) as Json[]) {
          // A Lambda task names its function in Parameters (lambda:invoke integration) or, payload-only, as its Resource.
          if (state.Parameters?.FunctionName) functions.add(state.Parameters.FunctionName);
          else if (String(state.Resource ?? '').startsWith('arn:aws:lambda:')) functions.add(state.Resource);
        }
      };
      visit(JSON.parse(properties.DefinitionString).States);
      if (functions.size === 0) throw new Error(`${source}: no Lambda task in the definition`);
      for (const fn of functions) this.allow({ source, principal: properties.RoleArn, action: 'lambda:InvokeFunction', resource: fn, context: SECURE });
    }
  }

  /** (b) CloudWatch Logs encrypts each log group with its key, with the log group's ARN as encryption context (encrypt-log-data-kms). */
  private encryptedLogGroups(): void {
    for (const { owner, resource } of this.resolver.all('AWS::Logs::LogGroup')) {
      const properties = this.resolver.resolve(owner, resource.Properties) as Json;
      if (!properties.KmsKeyId) continue;
      const logGroupArn = `arn:aws:logs:${owner.region}:${owner.account}:log-group:${properties.LogGroupName}`;
      for (const action of ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt']) {
        this.allow({ source: `log group ${properties.LogGroupName}`, principal: `logs.${owner.region}.amazonaws.com`, action, resource: properties.KmsKeyId, context: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn } });
      }
    }
  }

  /** (b) S3 replication of the primary backup bucket: S3 assumes the role, which reads source versions and writes replicas, one key each side. */
  private backupReplication(): void {
    for (const { owner, resource } of this.resolver.all('AWS::S3::Bucket')) {
      const properties = this.resolver.resolve(owner, resource.Properties) as Json;
      if (!properties.ReplicationConfiguration) continue;
      const role = properties.ReplicationConfiguration.Role;
      const source = `replication of ${properties.BucketName}`;
      const bucketArn = `arn:aws:s3:::${properties.BucketName}`;
      const sourceKey = properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.KMSMasterKeyID;
      this.allow({ source, principal: 's3.amazonaws.com', action: 'sts:AssumeRole', resource: role, context: {} });
      for (const action of ['s3:GetReplicationConfiguration', 's3:ListBucket']) this.allow({ source, principal: role, action, resource: bucketArn, context: SECURE });
      for (const action of ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging']) this.allow({ source, principal: role, action, resource: `${bucketArn}/backups/2026-01-01.dump`, context: SECURE });
      this.allow({ source, principal: role, action: 'kms:Decrypt', resource: sourceKey, context: { 'kms:ViaService': `s3.${owner.region}.amazonaws.com` } });
      for (const rule of properties.ReplicationConfiguration.Rules as Json[]) {
        const destination = rule.Destination;
        for (const action of ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags']) this.allow({ source, principal: role, action, resource: `${destination.Bucket}/backups/2026-01-01.dump`, context: SECURE });
        const replicaKey = destination.EncryptionConfiguration.ReplicaKmsKeyID;
        const drRegion = String(replicaKey).split(':')[3];
        for (const action of ['kms:Encrypt', 'kms:GenerateDataKey']) this.allow({ source, principal: role, action, resource: replicaKey, context: { 'kms:ViaService': `s3.${drRegion}.amazonaws.com` } });
      }
    }
  }

  /** (b) S3 server access logging writes into the log bucket as logging.s3.amazonaws.com (enable-server-access-logging, bucket policy). */
  private accessLogDelivery(): void {
    for (const { owner, resource } of this.resolver.all('AWS::S3::Bucket')) {
      const properties = this.resolver.resolve(owner, resource.Properties) as Json;
      const logging = properties.LoggingConfiguration;
      if (!logging) continue;
      this.allow({
        source: `access logs of ${properties.BucketName}`, principal: 'logging.s3.amazonaws.com', action: 's3:PutObject',
        resource: `arn:aws:s3:::${logging.DestinationBucketName}/${logging.LogFilePrefix ?? ''}2026-01-01-00-00-00-ABCDEF`,
        context: { ...SECURE, 'aws:SourceArn': `arn:aws:s3:::${properties.BucketName}`, 'aws:SourceAccount': owner.account },
      });
    }
  }

  /** (b) The delivery pipeline: connections, artifact stores and their keys, action roles, the post-deploy drill. */
  private pipeline(): void {
    const pipelines = this.resolver.all('AWS::CodePipeline::Pipeline');
    if (pipelines.length === 0) return;
    const [{ owner, resource }] = pipelines;
    const properties = this.resolver.resolve(owner, resource.Properties) as Json;
    const pipelineRole = properties.RoleArn;
    this.allow({ source: 'pipeline', principal: 'codepipeline.amazonaws.com', action: 'sts:AssumeRole', resource: pipelineRole, context: {} });
    const stores = (properties.ArtifactStores as Json[]).map((store) => ({ region: store.Region as string, bucket: store.ArtifactStore.Location as string, key: this.keyOfAlias(store.ArtifactStore.EncryptionKey.Id) }));
    for (const store of stores) {
      for (const action of ['s3:GetObject', 's3:PutObject']) this.allow({ source: `pipeline artifacts (${store.region})`, principal: pipelineRole, action, resource: `arn:aws:s3:::${store.bucket}/artifacts/source.zip`, context: SECURE, resourceAccount: owner.account });
      for (const action of ['kms:Decrypt', 'kms:GenerateDataKey']) this.allow({ source: `pipeline artifacts (${store.region})`, principal: pipelineRole, action, resource: store.key, context: { 'kms:ViaService': `s3.${store.region}.amazonaws.com` }, resourceAccount: owner.account });
    }
    const toolingStore = stores.find((store) => store.region === owner.region)!;
    for (const stage of properties.Stages as Json[]) {
      for (const action of stage.Actions as Json[]) {
        const label = `pipeline action ${stage.Name}/${action.Name}`;
        if (action.RoleArn && String(action.RoleArn).includes(`:${owner.account}:role/`) && !String(action.RoleArn).includes('cdk-')) {
          this.allow({ source: label, principal: pipelineRole, action: 'sts:AssumeRole', resource: action.RoleArn, context: {} });
        }
        if (action.ActionTypeId.Provider === 'CodeStarSourceConnection') {
          this.allow({ source: label, principal: action.RoleArn, action: 'codeconnections:UseConnection', resource: action.Configuration.ConnectionArn, context: SECURE, resourceAccount: owner.account });
          for (const verb of ['s3:PutObject']) this.allow({ source: label, principal: action.RoleArn, action: verb, resource: `arn:aws:s3:::${toolingStore.bucket}/source/output.zip`, context: SECURE, resourceAccount: owner.account });
        }
        if (action.ActionTypeId.Provider === 'CodeBuild') {
          const project = this.codeBuildProject(action.Configuration.ProjectName);
          this.allow({ source: label, principal: action.RoleArn ?? pipelineRole, action: 'codebuild:StartBuild', resource: project.arn, context: SECURE, resourceAccount: owner.account });
          this.allow({ source: `project ${project.name}`, principal: 'codebuild.amazonaws.com', action: 'sts:AssumeRole', resource: project.role, context: {} });
          // Every project reads its input artifact; only a project with an output artifact (the synth) writes one.
          const writes = (action.OutputArtifacts ?? []).length > 0;
          for (const verb of writes ? ['s3:GetObject', 's3:PutObject'] : ['s3:GetObject']) this.allow({ source: `project ${project.name}`, principal: project.role, action: verb, resource: `arn:aws:s3:::${toolingStore.bucket}/build/output.zip`, context: SECURE, resourceAccount: owner.account });
          for (const verb of writes ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt']) this.allow({ source: `project ${project.name}`, principal: project.role, action: verb, resource: toolingStore.key, context: { 'kms:ViaService': `s3.${owner.region}.amazonaws.com` }, resourceAccount: owner.account });
          for (const verb of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
            this.allow({ source: `project ${project.name}`, principal: project.role, action: verb, resource: `arn:aws:logs:${owner.region}:${owner.account}:log-group:/aws/codebuild/${project.name}:log-stream:build-1`, context: SECURE, resourceAccount: owner.account });
          }
        }
      }
    }
    this.pullRequestChecks(owner);
    this.postDeployDrill(owner);
  }

  /** The pull-request checks: GitHub through the connection (GitHub App connections need GetConnection and GetConnectionToken). */
  private pullRequestChecks(owner: EstateTemplate): void {
    const projectName = `${this.config.serviceName}-pr-checks-${this.config.environmentSuffix}`;
    const project = this.codeBuildProject(projectName);
    for (const action of ['codeconnections:GetConnection', 'codeconnections:GetConnectionToken', 'codeconnections:UseConnection']) {
      this.allow({ source: `project ${projectName}`, principal: project.role, action, resource: this.config.pipeline.connectionArn, context: SECURE, resourceAccount: owner.account });
    }
  }

  /** The post-deploy step invokes the synthetic drill in the workload account's DR region, and nothing else. */
  private postDeployDrill(owner: EstateTemplate): void {
    const names = drResourceNames(this.config);
    const { dr } = this.config.regions;
    const drillArn = `arn:aws:lambda:${dr}:${this.config.workloadAccount}:function:${names.syntheticDrillFunction}`;
    const step = this.resolver.all('AWS::CodeBuild::Project').find(({ owner: candidate, resource }) => candidate === owner
      && JSON.stringify(resource.Properties.Source?.BuildSpec ?? '').includes(`--function-name ${names.syntheticDrillFunction}`));
    if (!step) throw new Error('no post-deploy drill project');
    const role = this.resolver.resolve(owner, step.resource.Properties.ServiceRole);
    this.allow({ source: 'post-deploy drill', principal: role, action: 'lambda:InvokeFunction', resource: drillArn, context: SECURE, resourceAccount: this.config.workloadAccount });
    this.deny({
      source: 'post-deploy drill', principal: role, action: 'lambda:InvokeFunction', why: 'the pipeline may start the drill, never a failover',
      resource: `arn:aws:lambda:${dr}:${this.config.workloadAccount}:function:${names.failoverOrchestratorFunction}`, context: SECURE, resourceAccount: this.config.workloadAccount,
    });
  }

  private codeBuildProject(nameOrArn: string): { name: string; arn: string; role: string } {
    for (const { owner, logicalId, resource } of this.resolver.all('AWS::CodeBuild::Project')) {
      const name = this.resolver.resolve(owner, { Ref: logicalId });
      if (name === nameOrArn || this.resolver.resolve(owner, { 'Fn::GetAtt': [logicalId, 'Arn'] }) === nameOrArn) {
        return { name, arn: this.resolver.resolve(owner, { 'Fn::GetAtt': [logicalId, 'Arn'] }), role: this.resolver.resolve(owner, resource.Properties.ServiceRole) };
      }
    }
    throw new Error(`no CodeBuild project ${nameOrArn}`);
  }

  /** The key ARN behind an alias ARN (the cross-region artifact stores name their keys by alias), or the key ARN itself. */
  private keyOfAlias(keyOrAlias: string): string {
    const alias = /^arn:aws:kms:([^:]+):(\d{12}):(alias\/.+)$/.exec(keyOrAlias);
    if (!alias) return keyOrAlias;
    for (const { owner, resource } of this.resolver.all('AWS::KMS::Alias')) {
      if (owner.region === alias[1] && this.resolver.resolve(owner, resource.Properties.AliasName) === alias[3]) {
        const target = String(this.resolver.resolve(owner, resource.Properties.TargetKeyId));
        return target.startsWith('arn:') ? target : `arn:aws:kms:${owner.region}:${owner.account}:key/${target}`;
      }
    }
    throw new Error(`no alias ${keyOrAlias}`);
  }

  /** (c) Deliveries that must stay denied: the same services on behalf of other accounts, other resources, without TLS. */
  private crossSourceDenials(): void {
    const names = drResourceNames(this.config);
    const { dr, primary } = this.config.regions;
    const account = this.config.workloadAccount;
    const drTopic = `arn:aws:sns:${dr}:${account}:${this.config.serviceName}-dr-alerts-${this.config.environmentSuffix}`;
    const primaryTopic = `arn:aws:sns:${primary}:${account}:${this.config.serviceName}-primary-alerts-${this.config.environmentSuffix}`;
    const orchestrator = `arn:aws:lambda:${dr}:${account}:function:${names.failoverOrchestratorFunction}`;
    const trigger = this.resolver.all('AWS::Events::Rule').find(({ owner, resource }) => this.resolver.resolve(owner, resource.Properties.Name) === names.failoverTriggerRule)!;
    const triggerQueue = this.resolver.resolve(trigger.owner, trigger.resource.Properties.Targets[0].DeadLetterConfig.Arn);
    const other = '999999999999';
    this.deny({ source: 'foreign alarm', principal: 'cloudwatch.amazonaws.com', action: 'sns:Publish', resource: drTopic, context: { ...SECURE, 'aws:SourceArn': `arn:aws:cloudwatch:${dr}:${other}:alarm:${names.alarms.replicationLag}` }, why: 'only this account\'s alarms notify the estate' });
    this.deny({ source: 'other alarm', principal: 'cloudwatch.amazonaws.com', action: 'sns:Publish', resource: drTopic, context: { ...SECURE, 'aws:SourceArn': `arn:aws:cloudwatch:${dr}:${account}:alarm:someone-elses-alarm` }, why: 'only the estate\'s alarms notify its topic' });
    this.deny({ source: 'other bucket', principal: 's3.amazonaws.com', action: 'sns:Publish', resource: primaryTopic, context: { ...SECURE, 'aws:SourceArn': 'arn:aws:s3:::someone-elses-bucket', 'aws:SourceAccount': other }, why: 'only the backup bucket notifies the primary topic' });
    this.deny({ source: 'other rule', principal: 'events.amazonaws.com', action: 'lambda:InvokeFunction', resource: orchestrator, context: { ...SECURE, 'aws:SourceArn': `arn:aws:events:${dr}:${account}:rule/someone-elses-rule` }, why: 'only the estate\'s rules start the orchestrator' });
    this.deny({ source: 'other rule', principal: 'events.amazonaws.com', action: 'sqs:SendMessage', resource: triggerQueue, context: { ...SECURE, 'aws:SourceArn': `arn:aws:events:${dr}:${account}:rule/someone-elses-rule` }, why: 'only the failover trigger writes its dead letters' });
    this.deny({ source: 'plain HTTP', principal: this.functionRole(names.failoverOrchestratorFunction), action: 'sns:Publish', resource: drTopic, context: { 'aws:SecureTransport': 'false' }, why: 'the topics deny requests without TLS' });
    this.deny({ source: 'other account', principal: 'scheduler.amazonaws.com', action: 'sts:AssumeRole', resource: this.resolver.resolve(...this.scheduleRole()), context: { 'aws:SourceAccount': other, 'aws:SourceArn': `arn:aws:scheduler:${dr}:${other}:schedule/default/x` }, why: 'only this account\'s schedules use the schedule roles' });
    const scheduleRole = this.resolver.resolve(...this.scheduleRole());
    this.deny({ source: 'schedule role', principal: scheduleRole, action: 'lambda:InvokeFunction', resource: orchestrator, context: SECURE, why: 'a drill schedule starts only its drill' });
  }

  private scheduleRole(): [EstateTemplate, unknown] {
    const [schedule] = this.resolver.all('AWS::Scheduler::Schedule');
    return [schedule.owner, schedule.resource.Properties.Target.RoleArn];
  }
}

/**
 * The evaluator's core authorization with every context key kept. iam-simulate's validated entry point drops variable
 * condition keys that have no `/` (`kms:EncryptionContext:<key>`), and its unvalidated entry point (`runUnsafeSimulation`)
 * cannot take a resource policy (it loads it without the name its core reads). This is that entry point with the
 * resource policy named; it reaches into the package's files, so a new version that moves them fails here, loudly.
 */
function authorizeUnvalidated(simulation: Simulation, resourcePolicyName: string): string {
  const root = dirname(require.resolve('@cloud-copilot/iam-simulate'));
  const load = (relative: string) => require(join(root, relative));
  const { loadPolicy } = require(require.resolve('@cloud-copilot/iam-policy', { paths: [root] }));
  const { authorize } = load('core_engine/CoreSimulatorEngine.js');
  const { RequestContextImpl } = load('requestContext.js');
  const { AwsRequestImpl } = load('request/request.js');
  const { DiscoveryContextKeyConstraints } = load('context_keys/discoveryContextKeyConstraints.js');
  const { request } = simulation;
  const analysis = authorize({
    request: new AwsRequestImpl(request.principal, { resource: request.resource.resource, accountId: request.resource.accountId }, request.action, new RequestContextImpl(request.contextVariables)),
    sessionPolicy: undefined,
    identityPolicies: simulation.identityPolicies.map((policy) => loadPolicy(policy.policy, { name: policy.name })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: simulation.resourcePolicy ? loadPolicy(simulation.resourcePolicy, { name: resourcePolicyName }) : undefined,
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: { simulationMode: 'Strict', discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) },
    serviceSettings: { s3: { blockPublicAccess: undefined } },
  });
  return analysis.result;
}

/** Context keys the evaluator validates, and the variable keys with colons in their variable part it cannot. */
function splitContext(context: Readonly<Record<string, string | string[]>>): [Record<string, string | string[]>, string[]] {
  const validated: Record<string, string | string[]> = {};
  const unvalidated: string[] = [];
  for (const [key, value] of Object.entries(context)) {
    if (/^kms:EncryptionContext:.*:/.test(key)) unvalidated.push(key);
    else validated[key] = value;
  }
  return [validated, unvalidated];
}

function accountOf(arn: string, fallback: string): string {
  const match = /^arn:aws:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/.exec(arn);
  return match ? match[1] : fallback;
}

/** The deciding statements, named by policy and Sid (or index): what allowed the request, or what denied or failed to allow it. */
function describe(decision: string, analysis: any, identity: NamedPolicy[], resource: NamedPolicy | undefined): string {
  const policyName = (type: string, identifier?: string) => (type === 'resource' ? resource?.name ?? 'resource policy' : identifier ?? type);
  if (decision === 'Allowed') {
    return getGrantReasons(analysis).map((grant: any) => `${grant.policyType} ${policyName(grant.policyType, grant.policyIdentifier)} statement ${grant.statementId ?? `#${grant.statementIndex}`}`).join('; ');
  }
  const denials = getDenialReasons(analysis).map((denial: any) => (denial.denialType === 'Explicit'
    ? `explicit deny by ${denial.policyType} ${policyName(denial.policyType, denial.policyIdentifier)} statement ${denial.statementId ?? `#${denial.statementIndex}`}`
    : denial.policyType === 'identity' ? 'no statement of the identity policies allows it'
      : `no statement of the ${denial.policyType} policy ${policyName(denial.policyType, denial.identifier)} allows it`));
  const considered = `identity policies: ${identity.map((policy) => policy.name).join(', ') || 'none'}; resource policy: ${resource?.name ?? 'none'}`;
  return `${denials.join('; ') || 'denied'} (${considered})`;
}

