import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { Route53Dns } from '../../../../functions/adapters/aws/route53-dns';
import type { MetricDatum } from '../../../../functions/core/ports';

const route53 = mockClient(Route53Client);
const PRIMARY = {
  Name: 'writer.db.paydb-dev.internal.', Type: 'CNAME' as const, SetIdentifier: 'primary', Failover: 'PRIMARY' as const,
  TTL: 30, HealthCheckId: 'hc-1', ResourceRecords: [{ Value: 'primary.rds.example' }],
};
const SECONDARY = { ...PRIMARY, SetIdentifier: 'secondary', Failover: 'SECONDARY' as const, HealthCheckId: undefined, ResourceRecords: [{ Value: 'dr.rds.example' }] };
let recorded: MetricDatum[];

function dns() {
  return new Route53Dns({
    route53: new Route53Client({ region: 'us-east-2' }),
    drMetrics: { record: async (data) => { recorded.push(...data); } },
    hostedZoneId: 'Z123', writerRecordName: 'Writer.db.paydb-dev.internal', primaryRecordSetId: 'primary', drEndpoint: 'dr.rds.example',
  });
}

beforeEach(() => {
  route53.reset();
  recorded = [];
});

test('the data-plane signal is FailedOver=1 and needs no Route53 call', async () => {
  await dns().publishFailoverSignal();
  expect(recorded).toEqual([{ name: 'FailedOver', value: 1, unit: 'Count' }]);
  expect(route53.calls()).toHaveLength(0);
});

test('pins the PRIMARY record to the DR endpoint, keeping type, TTL, failover role and health check', async () => {
  route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [PRIMARY, SECONDARY], IsTruncated: false, MaxItems: 20 });
  route53.on(ChangeResourceRecordSetsCommand).resolves({});

  await dns().pinWriterToDr();

  expect(route53.commandCalls(ListResourceRecordSetsCommand)[0].args[0].input)
    .toEqual({ HostedZoneId: 'Z123', StartRecordName: 'Writer.db.paydb-dev.internal', MaxItems: 20 });
  expect(route53.commandCalls(ChangeResourceRecordSetsCommand)[0].args[0].input.ChangeBatch?.Changes)
    .toEqual([{ Action: 'UPSERT', ResourceRecordSet: { ...PRIMARY, ResourceRecords: [{ Value: 'dr.rds.example' }] } }]);
});

test('already pinned: no change is sent', async () => {
  route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [{ ...PRIMARY, ResourceRecords: [{ Value: 'DR.rds.example.' }] }] });
  await dns().pinWriterToDr();
  expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  expect(await dns().currentWriterTarget()).toBe('DR.rds.example.');
});

test('a missing PRIMARY record or a failing API throws', async () => {
  route53.on(ListResourceRecordSetsCommand).resolvesOnce({ ResourceRecordSets: [SECONDARY] }).rejects(new Error('ServiceUnavailable'));
  await expect(dns().pinWriterToDr()).rejects.toThrow('PRIMARY record Writer.db.paydb-dev.internal (set primary) not found in zone Z123');
  await expect(dns().pinWriterToDr()).rejects.toThrow('ServiceUnavailable');
  expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
});
