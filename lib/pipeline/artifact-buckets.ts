import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * How long a cross-region artifact store keeps an artifact. A pipeline run reads its artifacts within its own run
 * (the synth's cloud assembly, published assets); a retried stage of an older run would need them again, so they stay
 * longer than any run plus a working day.
 */
export const CROSS_REGION_ARTIFACT_DAYS = 3;

/**
 * How long the tooling-region store keeps an artifact: longer than a run can wait at its manual approval (the
 * permissions-broadening check), after which a run is restarted from git rather than resumed.
 */
export const ARTIFACT_DAYS = 30;

/**
 * The pipeline's artifact stores are destroyable like the estate (DeletionPolicy Delete instead of CDK's Retain).
 *
 * - The tooling-region bucket is also emptied on delete (CDK's auto-delete-objects custom resource, applied with the
 *   `BucketAutoDeleteObjects` mixin because CDK Pipelines creates the bucket itself).
 * - The buckets of the cross-region support stacks cannot carry that custom resource: CDK deploys those stacks with
 *   the BootstraplessSynthesizer, which takes no assets (the custom resource's code is one). They expire every object
 *   version after CROSS_REGION_ARTIFACT_DAYS instead, so an idle pipeline's support buckets empty themselves and their
 *   stacks delete; docs/deployment.md shows how to empty one at once.
 *
 * The tooling-region bucket expires artifacts after ARTIFACT_DAYS.
 *
 * Every bucket is versioned (an overwritten or deleted artifact stays recoverable; PCI DSS S3BucketVersioningEnabled).
 */
export function makeArtifactBucketsDestroyable(artifactBucket: s3.IBucket, crossRegionBuckets: readonly s3.IBucket[]): void {
  const artifacts = cfnBucketOf(artifactBucket);
  artifacts.applyRemovalPolicy(RemovalPolicy.DESTROY);
  artifacts.with(new s3.mixins.BucketVersioning(), new s3.mixins.BucketAutoDeleteObjects());
  artifacts.lifecycleConfiguration = expireArtifactsAfter(ARTIFACT_DAYS);
  for (const bucket of crossRegionBuckets) {
    if (bucket === artifactBucket) continue;
    const replication = cfnBucketOf(bucket);
    replication.applyRemovalPolicy(RemovalPolicy.DESTROY);
    replication.with(new s3.mixins.BucketVersioning());
    replication.lifecycleConfiguration = expireArtifactsAfter(CROSS_REGION_ARTIFACT_DAYS);
  }
}

function expireArtifactsAfter(days: number): s3.CfnBucket.LifecycleConfigurationProperty {
  return {
    rules: [{
      id: 'ExpireArtifacts',
      status: 'Enabled',
      expirationInDays: Duration.days(days).toDays(),
      noncurrentVersionExpiration: { noncurrentDays: Duration.days(days).toDays() },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    }],
  };
}

function cfnBucketOf(bucket: s3.IBucket): s3.CfnBucket {
  const cfnBucket = bucket.node.defaultChild;
  if (!(cfnBucket instanceof s3.CfnBucket)) throw new Error(`${bucket.node.path} is not a bucket of this app`);
  return cfnBucket;
}
