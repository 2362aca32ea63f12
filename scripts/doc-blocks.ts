/**
 * Generated blocks inside hand-written Markdown: the text between a start and an end marker (HTML comments) belongs to
 * a script (`npm run budget -- --write`, `npm run measure`); everything around it is prose.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { README_BLOCK_END, README_BLOCK_START } from '../lib/budget/render-budget';

export const REPO_ROOT = join(__dirname, '..');

export interface MarkedBlock {
  /** Repository-relative path of the Markdown file. */
  readonly file: string;
  readonly start: string;
  readonly end: string;
}

/** The budget's full tables (markers shared with `lib/budget/render-budget.ts`). */
export const BUDGET_BLOCK: MarkedBlock = { file: 'docs/rto-rpo-budget.md', start: README_BLOCK_START, end: README_BLOCK_END };

/** The budget's two headline lines in the README. */
export const BUDGET_SUMMARY_BLOCK: MarkedBlock = {
  file: 'README.md', start: '<!-- rto-rpo-summary:start -->', end: '<!-- rto-rpo-summary:end -->',
};

/** `npm run measure`'s timings in the development guide. */
export const MEASURED_BLOCK: MarkedBlock = {
  file: 'docs/development.md', start: '<!-- measured:begin -->', end: '<!-- measured:end -->',
};

/** THROWS unless `text` holds the block's markers once each, in order. */
export function replaceBlock(text: string, block: MarkedBlock, content: string): string {
  const start = text.indexOf(block.start);
  const end = text.indexOf(block.end);
  if (start < 0 || end < start || text.indexOf(block.start, start + 1) >= 0 || text.indexOf(block.end, end + 1) >= 0) {
    throw new Error(`${block.file} must contain ${block.start} … ${block.end} exactly once, in this order`);
  }
  return `${text.slice(0, start + block.start.length)}\n${content}\n${text.slice(end)}`;
}

/** The text between the markers, as `replaceBlock` writes it. THROWS when the markers are missing. */
export function readBlock(text: string, block: MarkedBlock): string {
  const start = text.indexOf(block.start);
  const end = text.indexOf(block.end);
  if (start < 0 || end < start) throw new Error(`${block.file} has no ${block.start} … ${block.end} block`);
  return text.slice(start + block.start.length, end).replace(/^\n/, '').replace(/\n$/, '');
}

export function readBlockFromFile(block: MarkedBlock, root = REPO_ROOT): string {
  return readBlock(readFileSync(join(root, block.file), 'utf8'), block);
}

export function writeBlockToFile(block: MarkedBlock, content: string, root = REPO_ROOT): void {
  const path = join(root, block.file);
  writeFileSync(path, replaceBlock(readFileSync(path, 'utf8'), block, content));
}

/**
 * The README's summary of a rendered budget: its two "**Worst-case …**" lines and where the tables are.
 * THROWS when the rendered budget has no such lines (the renderer changed).
 */
export function budgetSummary(renderedBudget: string): string {
  const headline = renderedBudget.split('\n').filter((line) => line.startsWith('**Worst-case '));
  if (headline.length !== 2) throw new Error('the rendered budget has no "**Worst-case RTO**" and "**Worst-case RPO**" lines');
  return [
    ...headline,
    '',
    '_Computed from the synthesized templates by `npm run budget -- --write`; every phase, source and assumption: '
      + '[docs/rto-rpo-budget.md](docs/rto-rpo-budget.md)._',
  ].join('\n');
}
