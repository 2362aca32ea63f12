/**
 * Prints the RTO/RPO budget of the default configuration as Markdown, computed from the synthesized
 * templates; with `--write` replaces the block between the rto-rpo-budget markers in README.md.
 * Usage: `npm run budget` (print) · `npm run budget -- --write` (update README.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../lib/config/dr-config';
import { renderBudgetMarkdown, replaceReadmeBlock } from '../lib/budget/render-budget';
import { budgetOf } from '../lib/budget/synthesized-budget';

const args = process.argv.slice(2);
const unknown = args.filter((arg) => arg !== '--write');
if (unknown.length > 0) {
  console.error(`unknown argument(s): ${unknown.join(' ')}\nusage: npm run budget [-- --write]`);
  process.exit(2);
}
const markdown = renderBudgetMarkdown(budgetOf(loadConfig({ context: () => undefined, env: {} })));
if (args.includes('--write')) {
  const readmePath = join(__dirname, '..', 'README.md');
  writeFileSync(readmePath, replaceReadmeBlock(readFileSync(readmePath, 'utf8'), markdown));
  console.error(`RTO/RPO budget written to ${readmePath}`);
} else {
  process.stdout.write(`${markdown}\n`);
}
