import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Logger } from '../../core/ports';

/** The core's `Logger` port over Powertools (structured JSON lines in CloudWatch Logs, tagged with `serviceName`). */
export function powertoolsLogger(serviceName: string): Logger {
  const powertools = new PowertoolsLogger({ serviceName });
  return {
    info: (message, fields) => powertools.info(message, { ...fields }),
    warn: (message, fields) => powertools.warn(message, { ...fields }),
    error: (message, fields) => powertools.error(message, { ...fields }),
  };
}
