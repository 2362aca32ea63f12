import { DOCUMENTED_CONSTANTS, RDS_PROMOTION_NOTE, type BudgetComponent, type RtoRpoBudget } from './rto-rpo-budget';

export const README_BLOCK_START = '<!-- rto-rpo-budget:start -->';
export const README_BLOCK_END = '<!-- rto-rpo-budget:end -->';

/** `1530 s (25 min 30 s)`. */
export function formatDuration(seconds: number): string {
  const sign = seconds < 0 ? '−' : '';
  const whole = Math.abs(seconds);
  const hours = Math.floor(whole / 3_600);
  const minutes = Math.floor((whole % 3_600) / 60);
  const rest = whole % 60;
  const parts = [hours ? `${hours} h` : '', minutes ? `${minutes} min` : '', rest || (!hours && !minutes) ? `${rest} s` : ''].filter(Boolean);
  return `${sign}${whole} s (${sign}${parts.join(' ')})`;
}

const escapeCell = (text: string) => text.replace(/\|/g, '\\|');

function table(components: readonly BudgetComponent[]): string[] {
  return [
    '| # | Phase | Source (stack · resource · property) | Formula | Worst case |',
    '|---|---|---|---|---|',
    ...components.map((component, index) =>
      `| ${index + 1} | ${escapeCell(component.phase)} | ${escapeCell(component.source)} | ${escapeCell(component.formula)} | ${component.seconds} s |`),
  ];
}

/** The section of docs/rto-rpo-budget.md, generated: `npm run budget -- --write`. */
export function renderBudgetMarkdown(budget: RtoRpoBudget): string {
  const { rto, rpo } = budget;
  const maxLag = rpo.components[0].seconds;
  const verdict = (margin: number) => (margin > 0 ? 'within target' : '**OVER TARGET**');
  const constants = DOCUMENTED_CONSTANTS;
  return [
    '_Generated from the synthesized templates by `npm run budget -- --write` (default configuration); '
      + '`test/lib/budget/rto-rpo-budget.test.ts` fails when this block and the templates disagree._',
    '',
    `**Worst-case RTO ${formatDuration(rto.worstCaseSeconds)}** against the target of ${formatDuration(rto.targetSeconds)}: `
      + `margin ${formatDuration(rto.marginSeconds)}, ${verdict(rto.marginSeconds)}.  `,
    `**Worst-case RPO ${formatDuration(rpo.worstCaseSeconds)}** against the target of ${formatDuration(rpo.targetSeconds)}: `
      + `margin ${formatDuration(rpo.marginSeconds)}, ${verdict(rpo.marginSeconds)}.`,
    '',
    '### RTO: primary failure → writes on the DR database through the writer name',
    '',
    ...table(rto.components),
    `| | **Total (worst case)** | | | **${rto.worstCaseSeconds} s** |`,
    '',
    'The rows are added in sequence, which overstates the total: the orchestrator publishes the failed-over signal '
      + 'just before it requests the promotion (so an old primary that comes back cannot win the name again), and the '
      + 'DNS rows overlap the promotion. Until the promotion ends, the writer name may therefore point at the DR database '
      + 'while it is still read-only: clients get read-only errors, never a second writer. The name follows only that '
      + 'signal (PRIMARY healthy exactly while not failed over, SECONDARY only once failed over): neither a routine RDS '
      + 'state nor a dead monitor moves it. The write lease becomes takeable TTL + takeover margin after the primary\'s last renewal, while '
      + 'detection is still running; it adds only what is left of that wait at the orchestrator\'s check.',
    `Promotion is budgeted at its timeout; ${RDS_PROMOTION_NOTE} A promotion that outlasts the timeout is not lost: `
      + 'the orchestrator\'s resume schedule keeps waiting, but the RTO then exceeds this budget.',
    '',
    '### RPO: data committed on the primary and not on the DR database',
    '',
    ...table(rpo.components),
    `| | **Total (worst case)** | | | **${rpo.worstCaseSeconds} s** |`,
    '',
    `Early warning: ${escapeCell(rpo.earlyWarning.phase)}, ${escapeCell(rpo.earlyWarning.formula)} `
      + `(${escapeCell(rpo.earlyWarning.source)}). An operator who forces a promotion over the lag limit accepts a larger loss.`,
    `The orchestrator checks the lag at worst ${rto.secondsUntilLagCheck} s after the failure (rows 1–6). It gates on the lag at `
      + 'the primary\'s failure, not on what the monitor reports afterwards (the age of the newest heartbeat or commit on the replica, '
      + 'which grows while the primary is dead but is no data at risk), so detection time does not count against '
      + `MAX_PROMOTION_LAG_SECONDS (${maxLag} s). That measurement is at worst ${rto.lagMeasurementAgeAtCheckSeconds} s old at the check`
      + (rto.lagMeasurementAgeAtCheckSeconds <= rto.lagLookback.seconds
        ? `, inside the orchestrator's ${rto.lagLookback.seconds} s look-back.`
        : `, **outside the orchestrator's ${rto.lagLookback.seconds} s look-back**: the lag is then unknown and an automatic promotion is refused until an operator forces it.`)
      + ` Look-back: ${escapeCell(rto.lagLookback.source)}.`,
    '',
    'Assumptions (not in the templates): metric alarm evaluation '
      + `${constants.metricAlarmEvaluationSeconds} s, composite alarm evaluation ${constants.compositeAlarmEvaluationSeconds} s, `
      + `EventBridge delivery ${constants.eventBridgeDeliverySeconds} s, Route53 reaction to an alarm state change `
      + `${constants.route53HealthCheckReactionSeconds} s (CLOUDWATCH_METRIC health checks follow their alarm's state and `
      + 'CALCULATED checks their children: [How Route 53 determines whether a health check is healthy]'
      + '(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html)); '
      + 'resolvers honour the record TTL. RDS promotion: '
      + '[Promoting a read replica](https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html).',
  ].join('\n');
}

/** THROWS unless `readme` holds the start and end markers once each, in order. */
export function replaceReadmeBlock(readme: string, markdown: string): string {
  const start = readme.indexOf(README_BLOCK_START);
  const end = readme.indexOf(README_BLOCK_END);
  if (start < 0 || end < start || readme.indexOf(README_BLOCK_START, start + 1) >= 0 || readme.indexOf(README_BLOCK_END, end + 1) >= 0) {
    throw new Error(`README must contain ${README_BLOCK_START} … ${README_BLOCK_END} exactly once, in this order`);
  }
  return `${readme.slice(0, start + README_BLOCK_START.length)}\n${markdown}\n${readme.slice(end)}`;
}

/** The text between the markers, as `replaceReadmeBlock` writes it. */
export function readReadmeBlock(readme: string): string {
  const start = readme.indexOf(README_BLOCK_START);
  const end = readme.indexOf(README_BLOCK_END);
  if (start < 0 || end < start) throw new Error(`README has no ${README_BLOCK_START} … ${README_BLOCK_END} block`);
  return readme.slice(start + README_BLOCK_START.length, end).replace(/^\n/, '').replace(/\n$/, '');
}
