/** Reading the repository's Markdown for the documentation tests: files, links, anchors (GitHub's rules). */
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join, relative, sep } from 'path';

export const REPO_ROOT = join(__dirname, '..', '..');

const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', 'cdk.out', 'coverage', '.drill-local']);

/** Every `*.md` under `dir` (repository-relative paths), generated and vendored folders left out. */
export function markdownFiles(dir = REPO_ROOT): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name) && !entry.name.startsWith('cdk.out')) walk(join(current, entry.name));
      } else if (entry.name.endsWith('.md')) {
        found.push(relative(REPO_ROOT, join(current, entry.name)));
      }
    }
  };
  walk(dir);
  return found.sort();
}

/** The README and everything under docs/. */
export function documentationFiles(): string[] {
  return ['README.md', ...markdownFiles(join(REPO_ROOT, 'docs'))];
}

export function readRepoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

/** The text outside fenced code blocks, line by line (fenced lines become empty, so line numbers stay right). */
export function proseLines(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      return '';
    }
    return fence === undefined ? line : '';
  });
}

/** A line without its inline code spans (``…`` and `…`). */
const withoutInlineCode = (line: string) => line.replace(/``.*?``/g, ' ').replace(/`[^`]*`/g, ' ');

export interface MarkdownLink {
  readonly target: string;
  readonly line: number;
}

/** Inline links and images `[text](target)` and reference definitions `[id]: target`, outside code. */
export function linksOf(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  proseLines(markdown).forEach((raw, index) => {
    const line = withoutInlineCode(raw);
    for (const match of line.matchAll(/!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ target: match[1], line: index + 1 });
    }
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(\s|$)/.exec(line);
    if (definition) links.push({ target: definition[1], line: index + 1 });
  });
  return links;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slugOf(heading: string): string {
  return heading.trim().toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a file offers: its headings (duplicates numbered as GitHub does) and explicit `id`/`name` attributes. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const slug = slugOf(heading[1]);
      const seen = counts.get(slug) ?? 0;
      anchors.add(seen === 0 ? slug : `${slug}-${seen}`);
      counts.set(slug, seen + 1);
    }
    for (const match of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]);
  }
  return anchors;
}

const EXTERNAL = /^(https?:|mailto:)/i;

/**
 * What is wrong with the relative links of `file` (repository-relative) whose text is `markdown`: targets outside the
 * repository, missing files, anchors without a heading. `read` gives the text of a linked Markdown file.
 */
export function linkProblems(file: string, markdown: string, read: (path: string) => string = readRepoFile): string[] {
  const problems: string[] = [];
  for (const { target, line } of linksOf(markdown)) {
    if (EXTERNAL.test(target)) continue;
    const [rawPath, anchor] = target.split('#', 2);
    const path = decodeURIComponent(rawPath);
    const resolved = path === '' ? join(REPO_ROOT, file) : join(REPO_ROOT, dirname(file), path);
    const inside = relative(REPO_ROOT, resolved);
    if (inside.startsWith('..') || inside.split(sep)[0] === 'node_modules') {
      problems.push(`${file}:${line}: ${target} points outside the repository`);
    } else if (path !== '' && !existsSync(resolved)) {
      problems.push(`${file}:${line}: ${target} does not exist`);
    } else if (anchor !== undefined && inside.endsWith('.md') && (path === '' || statSync(resolved).isFile())
      && !anchorsOf(path === '' ? markdown : read(inside)).has(anchor)) {
      problems.push(`${file}:${line}: ${target}: no heading or anchor "${anchor}" in ${inside}`);
    }
  }
  return problems;
}
