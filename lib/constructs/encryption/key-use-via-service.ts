/**
 * The condition that lets a role use a KMS key only through one AWS service in one region (`kms:ViaService`), the
 * way every function of the estate reaches its keys: through DynamoDB, SQS, SNS, Secrets Manager or RDS, never
 * directly. https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
 */
export function keyUseViaService(service: string, region: string): { StringEquals: { 'kms:ViaService': string } } {
  return { StringEquals: { 'kms:ViaService': `${service}.${region}.amazonaws.com` } };
}
