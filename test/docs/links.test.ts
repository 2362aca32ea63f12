import { documentationFiles, linkProblems, linksOf, anchorsOf, markdownFiles, readRepoFile, slugOf } from './markdown';

/**
 * Every relative link of the README and docs/ resolves to a file inside this repository, and every #anchor to a
 * heading (or an explicit anchor) of that file. Nothing points outside the repository.
 */

const files = documentationFiles();
const FORBIDDEN = [/\.\.\/shared/, /requirements §/i, /platform notes/i];

describe('documentation links', () => {
  it('finds the README and the docs folder', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/configuration.md', 'docs/runbooks/README.md']));
  });

  it.each(files)('%s: every relative link resolves inside the repository, anchors included', (file) => {
    expect(linkProblems(file, readRepoFile(file))).toEqual([]);
  });

  it('no Markdown file of the repository mentions ../shared, "requirements §" or "platform notes"', () => {
    const problems = markdownFiles().flatMap((file) => readRepoFile(file).split('\n').flatMap((text, index) =>
      FORBIDDEN.filter((pattern) => pattern.test(text)).map((pattern) => `${file}:${index + 1}: ${pattern}`)));
    expect(problems).toEqual([]);
  });
});

describe('the link checker itself', () => {
  it('reads inline links and reference definitions, not code', () => {
    const text = [
      'See [a](docs/a.md) and ![img](docs/i.png "title"), [b](docs/b.md#part).',
      '`[not](in-code.md)` and ``[nor](this.md)``',
      '```',
      '[neither](fenced.md)',
      '```',
      '[ref]: docs/ref.md',
    ].join('\n');
    expect(linksOf(text).map((link) => link.target)).toEqual(['docs/a.md', 'docs/i.png', 'docs/b.md#part', 'docs/ref.md']);
  });

  it('computes anchors as GitHub does', () => {
    expect(slugOf('RTO/RPO budget')).toBe('rtorpo-budget');
    expect(slugOf('Full drill — weekly, opt-in (`fullDrillEnabled`)')).toBe('full-drill--weekly-opt-in-fulldrillenabled');
    expect(slugOf('1. Bootstrap the accounts (once)')).toBe('1-bootstrap-the-accounts-once');
    expect([...anchorsOf('# A\n## A\n```\n# not a heading\n```\n<a id="x"></a>')]).toEqual(['a', 'a-1', 'x']);
  });

  it('reports links outside the repository, missing files and missing anchors', () => {
    const text = [
      '[outside](../../shared/notes.md)',
      '[missing](no-such-file.md)',
      '[bad anchor](architecture.md#no-such-heading)',
      '[own anchor](#local)',
      '[good](architecture.md#rules-of-direction) [web](https://example.com/x.md) [dir](runbooks/)',
      '## Local',
    ].join('\n');
    expect(linkProblems('docs/example.md', text)).toEqual([
      'docs/example.md:1: ../../shared/notes.md points outside the repository',
      'docs/example.md:2: no-such-file.md does not exist',
      'docs/example.md:3: architecture.md#no-such-heading: no heading or anchor "no-such-heading" in docs/architecture.md',
    ]);
    expect(FORBIDDEN.some((pattern) => pattern.test('see ../shared/requirements.md'))).toBe(true);
  });
});
