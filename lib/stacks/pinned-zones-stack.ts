import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface PinnedZonesStackProps extends StackProps {
  /** The availability zones this stack's VPC spans, from configuration. */
  readonly availabilityZones: string[];
}

/**
 * A stack whose availability zones come from configuration instead of a context lookup, so a
 * stack with a concrete account still synthesizes without AWS credentials.
 */
export class PinnedZonesStack extends Stack {
  private readonly pinnedZones: string[];

  constructor(scope: Construct, id: string, props: PinnedZonesStackProps) {
    super(scope, id, props);
    this.pinnedZones = props.availabilityZones;
  }

  override get availabilityZones(): string[] {
    return this.pinnedZones;
  }
}
