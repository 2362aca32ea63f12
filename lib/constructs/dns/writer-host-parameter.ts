import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

export interface WriterHostParameterProps {
  /** `/<service>/<environment>/database/writer-host` (drResourceNames().writerHostParameter). */
  readonly parameterName: string;
  /** The writer name (drResourceNames().writerRecordName), resolvable from both VPCs. */
  readonly writerRecordName: string;
}

/**
 * Where applications find the database they may write to: the writer name, which follows a failover, published in
 * each region so an application reads it from its own region even when the other is down. The credentials secret's
 * `host` is the primary instance's own endpoint (CDK's secret attachment writes it, and rotation connects to it), so
 * an application that connects to that host keeps writing to the old primary whenever it answers.
 * The value is a constant of the configuration: it never changes at a failover, so no deployment has to touch it.
 */
export class WriterHostParameter extends Construct {
  readonly parameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: WriterHostParameterProps) {
    super(scope, id);
    this.parameter = new ssm.StringParameter(this, 'Parameter', {
      parameterName: props.parameterName,
      stringValue: props.writerRecordName,
      description: 'Host applications connect to for writes: the failover-aware writer name (port and credentials: the database secret)',
    });
  }
}
