import { InvalidRequestError, validateFailoverRequest, type FailoverRequest } from '../core/failover-request';
import { ALARM_STATE_CHANGE_EVENT } from '../core/metric-names';

/**
 * What the orchestrator accepts:
 * - EventBridge "CloudWatch Alarm State Change" (source `aws.cloudwatch`) for the composite alarm:
 *   only `detail.state.value === "ALARM"` acts;
 * - operator: `{"action":"failover","reason":"...","force"?:bool,"switchover"?:bool,"confirmPrimaryDead"?:bool}`;
 * - operator: `{"action":"cancel","reason":"..."}` (before any promotion request);
 * - operator, after a failover: `{"action":"reprotect","reason":"..."}` (a replica of the promoted writer in the other
 *   region); the fail-back after it is `{"action":"failover","switchover":true,"reason":"..."}`;
 * - schedule: `{"action":"resume"}`;
 * - anyone: `{"action":"status"}` (read only).
 */
export type OrchestratorCommand =
  | { readonly kind: 'run'; readonly request: FailoverRequest }
  | { readonly kind: 'status' }
  | { readonly kind: 'ignore'; readonly message: string };

export const ALARM_STATE_CHANGE = ALARM_STATE_CHANGE_EVENT.detailType;

/** THROWS `InvalidRequestError` with a clear message for anything malformed; no side effects. */
export function parseOrchestratorEvent(event: unknown): OrchestratorCommand {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidRequestError('event must be a JSON object');
  }
  const fields = event as Record<string, unknown>;
  if ('detail-type' in fields) return parseAlarmEvent(fields);
  switch (fields.action) {
    case 'failover':
      return { kind: 'run', request: validateFailoverRequest({ ...fields, trigger: 'operator' }) };
    case 'resume':
      return { kind: 'run', request: { trigger: 'resume' } };
    case 'cancel':
      return { kind: 'run', request: validateFailoverRequest({ ...fields, trigger: 'cancel' }) };
    case 'reprotect':
      return { kind: 'run', request: validateFailoverRequest({ ...fields, trigger: 'reprotect' }) };
    case 'status':
      return { kind: 'status' };
    default:
      throw new InvalidRequestError(
        `unknown event: expected an EventBridge "${ALARM_STATE_CHANGE}" event or {"action": "failover" | "resume" | "cancel" | "reprotect" | "status"}, `
        + `got action ${JSON.stringify(fields.action)}`,
      );
  }
}

function parseAlarmEvent(event: Record<string, unknown>): OrchestratorCommand {
  if (event['detail-type'] !== ALARM_STATE_CHANGE || event.source !== ALARM_STATE_CHANGE_EVENT.source) {
    throw new InvalidRequestError(`unsupported EventBridge event: source ${JSON.stringify(event.source)}, detail-type ${JSON.stringify(event['detail-type'])}`);
  }
  const detail = event.detail as Record<string, unknown> | undefined;
  const state = detail?.state as Record<string, unknown> | undefined;
  if (typeof detail?.alarmName !== 'string' || typeof state?.value !== 'string') {
    throw new InvalidRequestError('alarm event lacks detail.alarmName or detail.state.value');
  }
  if (state.value !== 'ALARM') {
    return { kind: 'ignore', message: `alarm ${detail.alarmName} changed to ${state.value}: no action (only ALARM triggers a failover)` };
  }
  const reason = typeof state.reason === 'string' ? state.reason.slice(0, 500) : '';
  return { kind: 'run', request: validateFailoverRequest({ trigger: 'alarm', alarmName: detail.alarmName, reason }) };
}
