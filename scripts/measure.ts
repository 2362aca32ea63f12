/**
 * Times the commands a developer waits for and writes the results into the block between `<!-- measured:begin -->`
 * and `<!-- measured:end -->` of docs/development.md, with the date, Node version and CPU count of the machine.
 * Only the rows of the commands measured are replaced; the others keep their earlier figures and dates.
 *
 * Usage: `npm run measure` (synth + npm test) · `npm run measure -- --drill` (also `npm run drill:local`, ~4 min)
 *        `npm run measure -- --only synth` (a subset: synth, test, drill) · `--dry-run` (print, write nothing)
 *        `--doc <file>` (write into another Markdown file holding the same markers).
 * Run it on an otherwise idle machine: the figures are wall-clock times.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MEASURED_BLOCK, readBlock, REPO_ROOT, replaceBlock } from './doc-blocks';

export type MeasuredCommand = 'synth' | 'test' | 'drill';

/** The commands as documented (the row label) and as run. */
export const COMMANDS: Record<MeasuredCommand, { label: string; argv: (outDir: string) => string[] }> = {
  // The assembly goes to a temporary directory so that a measurement never replaces the working tree's cdk.out.
  synth: { label: 'npx cdk synth --quiet', argv: (outDir) => ['npx', 'cdk', 'synth', '--quiet', '--output', outDir] },
  test: { label: 'npm test', argv: () => ['npm', 'test'] },
  drill: { label: 'npm run drill:local', argv: () => ['npm', 'run', 'drill:local'] },
};

export interface MeasuredRow {
  readonly command: string;
  readonly time: string;
  readonly measured: string;
  readonly node: string;
  readonly cpus: string;
}

const HEADER = ['| Command | Wall time | Measured on | Node | CPUs |', '|---|---|---|---|---|'];

/** `161.4` → `2 min 41 s`; under a minute one decimal (`11.6 s`). */
export function formatWallTime(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/** The rows of the block's table (rows of unknown shape are an error: the block is the script's). */
export function parseMeasuredRows(block: string): MeasuredRow[] {
  return block.split('\n').filter((line) => line.startsWith('| `')).map((line) => {
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    if (cells.length !== 5) throw new Error(`unexpected row in the measured block: ${line}`);
    const [command, time, measured, node, cpus] = cells;
    return { command: command.replace(/^`|`$/g, ''), time, measured, node, cpus };
  });
}

export function renderMeasuredRows(rows: readonly MeasuredRow[]): string {
  return [...HEADER, ...rows.map((row) => `| \`${row.command}\` | ${row.time} | ${row.measured} | ${row.node} | ${row.cpus} |`)].join('\n');
}

/** Replaces (or appends) the rows of `updates`, in the order of COMMANDS; other rows stay as they were. */
export function mergeMeasuredRows(existing: readonly MeasuredRow[], updates: readonly MeasuredRow[]): MeasuredRow[] {
  const order = Object.values(COMMANDS).map((command) => command.label);
  const byCommand = new Map(existing.map((row) => [row.command, row]));
  for (const update of updates) byCommand.set(update.command, update);
  return [...byCommand.values()].sort((a, b) => rank(order, a.command) - rank(order, b.command));
}

const rank = (order: string[], command: string) => (order.includes(command) ? order.indexOf(command) : order.length);

/** The number of tests jest reports (`Tests:       1110 passed, 1110 total`). */
export function testCountOf(output: string): number | undefined {
  const match = /Tests:.*?(\d+) total/.exec(output);
  return match ? Number(match[1]) : undefined;
}

interface Options {
  readonly commands: MeasuredCommand[];
  readonly dryRun: boolean;
  readonly doc: string;
}

function parseArgs(args: string[]): Options {
  let commands: MeasuredCommand[] = ['synth', 'test'];
  let dryRun = false;
  let doc = join(REPO_ROOT, MEASURED_BLOCK.file);
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (arg === '--drill') commands = [...new Set([...commands, 'drill' as const])];
    else if (arg === '--dry-run') dryRun = true;
    else if (arg === '--only' && args[index + 1]) {
      const only = args[++index].split(',').map((name) => name.trim());
      const unknown = only.filter((name) => !(name in COMMANDS));
      if (unknown.length > 0) usage(`unknown command(s) for --only: ${unknown.join(', ')}`);
      commands = only as MeasuredCommand[];
    } else if (arg === '--doc' && args[index + 1]) doc = resolve(args[++index]);
    else usage(`unknown argument: ${arg}`);
  }
  return { commands, dryRun, doc };
}

function usage(problem: string): never {
  console.error(`${problem}\nusage: npm run measure [-- --drill] [--only synth,test,drill] [--dry-run] [--doc FILE]`);
  process.exit(2);
}

function measure(name: MeasuredCommand): MeasuredRow {
  const outDir = mkdtempSync(join(tmpdir(), 'measure-cdk-out-'));
  try {
    const [command, ...args] = COMMANDS[name].argv(outDir);
    console.error(`measuring: ${COMMANDS[name].label}`);
    const started = process.hrtime.bigint();
    const run = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const output = `${run.stdout ?? ''}\n${run.stderr ?? ''}`;
    if (run.status !== 0) {
      console.error(output.split('\n').slice(-40).join('\n'));
      throw new Error(`${COMMANDS[name].label} failed (exit ${run.status ?? run.signal}): nothing written`);
    }
    const tests = name === 'test' ? testCountOf(output) : undefined;
    console.error(`  ${formatWallTime(seconds)}`);
    return {
      command: COMMANDS[name].label,
      time: formatWallTime(seconds) + (tests === undefined ? '' : ` (${tests.toLocaleString('en-US')} tests)`),
      measured: new Date().toISOString().slice(0, 10),
      node: process.version,
      cpus: String(availableParallelism()),
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const options = parseArgs(process.argv.slice(2));
  const text = readFileSync(options.doc, 'utf8');
  const rows = mergeMeasuredRows(parseMeasuredRows(readBlock(text, MEASURED_BLOCK)), options.commands.map(measure));
  const block = renderMeasuredRows(rows);
  if (options.dryRun) {
    process.stdout.write(`${block}\n`);
  } else {
    writeFileSync(options.doc, replaceBlock(text, MEASURED_BLOCK, block));
    console.error(`written to ${options.doc}`);
  }
}
