/**
 * Prints the RTO/RPO budget of the default configuration as Markdown, computed from the synthesized
 * templates; with `--write` replaces the generated blocks: the full tables in docs/rto-rpo-budget.md and the
 * two headline lines in README.md.
 * Usage: `npm run budget` (print) · `npm run budget -- --write` (update both files).
 */
import { loadConfig } from '../lib/config/dr-config';
import { renderBudgetMarkdown } from '../lib/budget/render-budget';
import { budgetOf } from '../lib/budget/synthesized-budget';
import { BUDGET_BLOCK, BUDGET_SUMMARY_BLOCK, budgetSummary, writeBlockToFile } from './doc-blocks';

const args = process.argv.slice(2);
const unknown = args.filter((arg) => arg !== '--write');
if (unknown.length > 0) {
  console.error(`unknown argument(s): ${unknown.join(' ')}\nusage: npm run budget [-- --write]`);
  process.exit(2);
}
const markdown = renderBudgetMarkdown(budgetOf(loadConfig({ context: () => undefined, env: {} })));
if (args.includes('--write')) {
  writeBlockToFile(BUDGET_BLOCK, markdown);
  writeBlockToFile(BUDGET_SUMMARY_BLOCK, budgetSummary(markdown));
  console.error(`RTO/RPO budget written to ${BUDGET_BLOCK.file} (tables) and ${BUDGET_SUMMARY_BLOCK.file} (summary)`);
} else {
  process.stdout.write(`${markdown}\n`);
}
