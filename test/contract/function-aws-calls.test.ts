import { testConfig } from '../lib/support/dr-stage';
import { functionAwsCalls, type EstateLookup } from './function-aws-calls';
import { sentCommands } from './sdk-commands';

/**
 * The declared AWS calls of each function (function-aws-calls.ts) against its code: every SDK command the handler's
 * import graph can send must be declared, either as a call (the permission graph then requires it to be allowed) or as
 * a call that must stay denied (the graph requires the denial). A new command in an adapter a function uses fails here
 * until it is declared, so no call reaches AWS unevaluated. Declared calls that no code sends are stale, unless marked
 * `implied` (an implicit KMS call, a permission a parameter needs).
 */

const config = testConfig({ fullDrillEnabled: 'true' });
const lookup: EstateLookup = {
  config,
  keyArn: (side) => `arn:aws:kms:${side === 'dr' ? 'us-east-2' : 'us-east-1'}:123456789012:key/${side}`,
  hostedZoneId: () => 'Z0000000000000',
  healthCheckIds: () => ['hc-1', 'hc-2'],
  functionRoleArn: (name) => `arn:aws:iam::123456789012:role/${name}`,
  secretArn: (side) => `arn:aws:secretsmanager:${side === 'dr' ? 'us-east-2' : 'us-east-1'}:123456789012:secret:credentials-AbCdEf`,
  securityGroupArn: (side) => `arn:aws:ec2:us-east-1:123456789012:security-group/sg-${side}`,
  monitoringRoleArn: (side) => `arn:aws:iam::123456789012:role/${side}-monitoring`,
};
const functions = functionAwsCalls(lookup);

describe('every SDK command a function can send is declared as an allowed or a denied call', () => {
  it('covers the five DR functions', () => {
    expect(functions.map((fn) => fn.functionName)).toEqual([
      'paydb-failover-orchestrator-dev', 'paydb-lease-keeper-dev', 'paydb-replication-monitor-dev', 'paydb-synthetic-drill-dev', 'paydb-full-drill-tasks-dev',
    ]);
  });

  it.each(functions.map((fn) => [fn.functionName, fn] as const))('%s', (_name, fn) => {
    const sent = sentCommands(fn.entry);
    expect(sent.length).toBeGreaterThan(0);
    const declared = new Set([...fn.calls, ...fn.mustBeDenied].map((call) => call.action));
    const undeclared = sent.filter((command) => !declared.has(command.action)).map((command) => `${command.action} (${command.file})`);
    expect(undeclared).toEqual([]);
    const sentActions = new Set(sent.map((command) => command.action));
    const stale = fn.calls.filter((call) => !call.implied && !sentActions.has(call.action)).map((call) => call.action);
    expect(stale).toEqual([]);
  });

  it('fails when a function\'s code sends a command its declaration lacks (the check can fail)', () => {
    const [orchestrator] = functions;
    const sent = sentCommands(orchestrator.entry);
    const withoutPromote = new Set(orchestrator.calls.filter((call) => call.action !== 'rds:PromoteReadReplica').map((call) => call.action));
    expect(sent.filter((command) => !withoutPromote.has(command.action)).map((command) => command.action)).toContain('rds:PromoteReadReplica');
  });
});
