import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Alerts } from '../../core/ports';

/** SNS subjects: at most 100 printable ASCII characters, no line breaks. */
const MAX_SUBJECT_LENGTH = 100;

/**
 * `Alerts` over SNS Publish; every message ends with the sender's runbook link (`RUNBOOK_URL`), so whoever reads the
 * alert lands on what to do. IAM: `sns:Publish` on the topic ARN (+ `kms:GenerateDataKey*`/`kms:Decrypt` on its key).
 */
export class SnsAlerts implements Alerts {
  constructor(private readonly client: SNSClient, private readonly topicArn: string, private readonly environmentSuffix: string,
    private readonly runbookUrl: string) {}

  async notify(subject: string, message: string): Promise<void> {
    await this.client.send(new PublishCommand({
      TopicArn: this.topicArn,
      Subject: toSnsSubject(`[${this.environmentSuffix}] ${subject}`),
      Message: `${message}\n\nRunbook: ${this.runbookUrl}`,
    }));
  }
}

export function toSnsSubject(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, ' ');
  return printable.length <= MAX_SUBJECT_LENGTH ? printable : `${printable.slice(0, MAX_SUBJECT_LENGTH - 3)}...`;
}
