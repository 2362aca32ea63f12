import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { Logger } from '../../core/ports';

/**
 * What the logger takes from the Lambda context (Powertools reads these fields and nothing else). Lambda passes a full
 * `Context`; tests pass a fake with the request id and whatever else they need.
 */
export type InvocationContext = Pick<Context, 'awsRequestId'>
  & Partial<Pick<Context, 'functionName' | 'functionVersion' | 'invokedFunctionArn' | 'memoryLimitInMB' | 'tenantId'>>;

/** The core's `Logger` port for a Lambda handler, which adds its invocation's context first. */
export interface LambdaLogger extends Logger {
  /**
   * Every later line carries `function_request_id` (the invocation's request id), `cold_start` (true only in the first
   * invocation of the execution environment), `function_name`, `function_arn`, `function_memory_size`, `function_version`.
   * A handler calls it first in every invocation.
   */
  addContext(context: InvocationContext): void;
}

/** The core's `Logger` port over Powertools (structured JSON lines in CloudWatch Logs, tagged with `serviceName`). */
export function powertoolsLogger(serviceName: string): LambdaLogger {
  const powertools = new PowertoolsLogger({ serviceName });
  return {
    info: (message, fields) => powertools.info(message, { ...fields }),
    warn: (message, fields) => powertools.warn(message, { ...fields }),
    error: (message, fields) => powertools.error(message, { ...fields }),
    // Powertools types the full Context but reads only the fields of `InvocationContext`.
    addContext: (context) => powertools.addContext(context as Context),
  };
}
