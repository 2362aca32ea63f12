import { MEASURED_BLOCK, readBlock, replaceBlock } from '../../scripts/doc-blocks';
import { COMMANDS, formatWallTime, mergeMeasuredRows, parseMeasuredRows, renderMeasuredRows, testCountOf } from '../../scripts/measure';
import { readRepoFile } from './markdown';

/** `npm run measure` rewrites the timings block of docs/development.md; these tests never run the commands. */

describe('the timings block of docs/development.md', () => {
  const block = readBlock(readRepoFile(MEASURED_BLOCK.file), MEASURED_BLOCK);

  it('holds a row per measured command, each with a date', () => {
    const rows = parseMeasuredRows(block);
    expect(rows.map((row) => row.command)).toEqual(Object.values(COMMANDS).map((command) => command.label));
    for (const row of rows) expect(row.measured).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('is what the script would write back unchanged', () => {
    expect(renderMeasuredRows(parseMeasuredRows(block))).toBe(block);
  });
});

describe('npm run measure', () => {
  const old = [
    { command: 'npx cdk synth --quiet', time: '≈ 14 s', measured: '2026-11-30', node: 'not recorded', cpus: '2' },
    { command: 'npm test', time: '≈ 2 min 40 s', measured: '2026-11-30', node: 'not recorded', cpus: '2' },
    { command: 'npm run drill:local', time: '≈ 4 min 20 s', measured: '2026-11-30', node: 'not recorded', cpus: '2' },
  ];

  it('replaces only the rows it measured', () => {
    const synth = { command: 'npx cdk synth --quiet', time: '11.6 s', measured: '2026-12-01', node: 'v24.1.0', cpus: '2' };
    expect(mergeMeasuredRows(old, [synth])).toEqual([synth, old[1], old[2]]);
  });

  it('formats wall times and reads the test count from jest', () => {
    expect(formatWallTime(11.62)).toBe('11.6 s');
    expect(formatWallTime(161.4)).toBe('2 min 41 s');
    expect(formatWallTime(257)).toBe('4 min 17 s');
    expect(testCountOf('Tests:       2 skipped, 1110 passed, 1112 total')).toBe(1112);
    expect(testCountOf('no summary')).toBeUndefined();
  });

  it('writes between the markers only', () => {
    const text = `# Dev\nbefore\n${MEASURED_BLOCK.start}\nold\n${MEASURED_BLOCK.end}\nafter\n`;
    expect(replaceBlock(text, MEASURED_BLOCK, 'new')).toBe(`# Dev\nbefore\n${MEASURED_BLOCK.start}\nnew\n${MEASURED_BLOCK.end}\nafter\n`);
    expect(() => replaceBlock('no markers', MEASURED_BLOCK, 'x')).toThrow('exactly once');
  });
});
