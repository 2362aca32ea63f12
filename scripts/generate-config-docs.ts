/**
 * Generates docs/configuration.md from the code that reads the configuration: `lib/config/dr-config.ts` (`loadConfig`)
 * and `bin/tap.ts` (`target`). Nothing here lists the settings by hand: the file is parsed with SWC (already the test
 * transpiler) and every `read('<setting>')` call becomes a setting, with
 * - its field in `DrConfig`, followed through the object literals, variables and validators it flows into;
 * - the doc comment and type of that field (the interfaces in dr-config.ts);
 * - its default (`?? <default>`, a validator's `=== undefined ?` branch, an `if (x === undefined) y = <default>`);
 * - every `ConfigError` that can name it, with the validator's arguments filled in (`validInteger(..., 1, 3)`);
 * - the warnings synth prints about it and the constants its validators check against.
 *
 * Usage: `npm run docs:config` (writes docs/configuration.md) · `npm run docs:config -- --check` (exit 1 when stale).
 * `test/docs/configuration-doc.test.ts` fails when the file and this output differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseSync } from '@swc/core';

export const CONFIGURATION_DOC = 'docs/configuration.md';
const REPO_ROOT = join(__dirname, '..');
const CONFIG_SOURCE = 'lib/config/dr-config.ts';
const APP_SOURCE = 'bin/tap.ts';

/* ------------------------------------------------------------------------------------------------------------------ */
/* Syntax tree access                                                                                                  */
/* ------------------------------------------------------------------------------------------------------------------ */

/** An SWC node. The tree is walked generically (by `type`), so only the fields used here are named. */
type AstNode = { type: string; span: { start: number; end: number }; [field: string]: any };

const isNode = (value: unknown): value is AstNode =>
  typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';

/** A parsed source file: its tree, parents, top-level declarations and comments. */
class SourceFile {
  readonly bytes: Buffer;
  readonly body: AstNode[];
  readonly parents = new Map<AstNode, AstNode>();
  readonly interfaces = new Map<string, AstNode>();
  readonly typeAliases = new Map<string, AstNode>();
  readonly constants = new Map<string, { declarator: AstNode; statement: AstNode }>();
  readonly functions = new Map<string, AstNode>();
  /** Local name → absolute path (without extension) of the module it is imported from. */
  readonly imports = new Map<string, string>();
  private readonly base: number;

  constructor(readonly path: string) {
    const text = readFileSync(path, 'utf8');
    this.bytes = Buffer.from(text, 'utf8');
    const module = parseSync(text, { syntax: 'typescript', target: 'es2022' });
    this.body = module.body as unknown as AstNode[];
    for (const statement of this.body) this.link(statement, undefined);
    // SWC spans are byte offsets starting at 1 for a freshly parsed file; verify on the first identifier.
    this.base = 1;
    const probe = this.find(this.body, (node) => node.type === 'Identifier' && typeof node.value === 'string');
    if (probe && this.text(probe) !== probe.value) throw new Error(`unexpected SWC span offsets in ${path}`);

    for (const statement of this.body) {
      const declaration = statement.type === 'ExportDeclaration' ? statement.declaration : statement;
      switch (declaration.type) {
        case 'TsInterfaceDeclaration': this.interfaces.set(declaration.id.value, declaration); break;
        case 'TsTypeAliasDeclaration': this.typeAliases.set(declaration.id.value, declaration); break;
        case 'FunctionDeclaration': this.functions.set(declaration.identifier.value, declaration); break;
        case 'VariableDeclaration':
          for (const declarator of declaration.declarations) {
            if (declarator.id.type === 'Identifier') this.constants.set(declarator.id.value, { declarator, statement });
          }
          break;
        case 'ImportDeclaration':
          for (const specifier of declaration.specifiers) {
            this.imports.set(specifier.local.value, resolve(dirname(path), declaration.source.value));
          }
          break;
        default:
          break;
      }
    }
  }

  private link(node: AstNode, parent: AstNode | undefined): void {
    if (parent) this.parents.set(node, parent);
    for (const [field, value] of Object.entries(node)) {
      if (field === 'span') continue;
      for (const child of Array.isArray(value) ? value : [value]) {
        if (isNode(child)) this.link(child, node);
        // Call arguments and array elements are `{ spread, expression }` wrappers without a type.
        else if (typeof child === 'object' && child !== null && isNode(child.expression)) this.link(child.expression, node);
      }
    }
  }

  text(node: AstNode): string {
    return this.bytes.subarray(node.span.start - this.base, node.span.end - this.base).toString('utf8');
  }

  /** Source text with runs of whitespace collapsed, for code shown inline. */
  code(node: AstNode): string {
    return this.text(node).replace(/\s+/g, ' ');
  }

  parent(node: AstNode): AstNode | undefined {
    return this.parents.get(node);
  }

  ancestors(node: AstNode): AstNode[] {
    const result: AstNode[] = [];
    for (let current = this.parent(node); current; current = this.parent(current)) result.push(current);
    return result;
  }

  find(roots: AstNode | AstNode[], predicate: (node: AstNode) => boolean): AstNode | undefined {
    return this.findAll(roots, predicate)[0];
  }

  findAll(roots: AstNode | AstNode[], predicate: (node: AstNode) => boolean): AstNode[] {
    const found: AstNode[] = [];
    const visit = (node: AstNode) => {
      if (predicate(node)) found.push(node);
      for (const [field, value] of Object.entries(node)) {
        if (field === 'span') continue;
        for (const child of Array.isArray(value) ? value : [value]) {
          if (isNode(child)) visit(child);
          else if (typeof child === 'object' && child !== null && isNode(child.expression)) visit(child.expression);
        }
      }
    };
    for (const root of Array.isArray(roots) ? roots : [roots]) visit(root);
    return found.sort((a, b) => a.span.start - b.span.start);
  }

  /** The `/** … *\/` comment right before `node` (or before its `export`), as Markdown text. */
  docComment(node: AstNode): string | undefined {
    const parent = this.parent(node);
    const anchor = parent?.type === 'ExportDeclaration' ? parent : node;
    const before = this.bytes.subarray(0, anchor.span.start - this.base).toString('utf8').replace(/\s+$/, '');
    if (before.endsWith('*/')) {
      const start = before.lastIndexOf('/**');
      if (start < 0) return undefined;
      return cleanDocComment(before.slice(start + 3, before.length - 2));
    }
    // `//` lines right before a statement (bin/tap.ts documents `target` this way).
    const lines = before.split('\n');
    const comment: string[] = [];
    while (lines.length > 0 && /^\s*\/\/ ?/.test(lines[lines.length - 1])) comment.unshift(lines.pop()!.replace(/^\s*\/\/ ?/, ''));
    return comment.length > 0 ? cleanDocComment(comment.join('\n')) : undefined;
  }
}

/** Doc comment lines → Markdown: `*` margins dropped, wrapped lines joined, `- ` items kept on their own lines. */
function cleanDocComment(raw: string): string {
  const lines = raw.split('\n').map((line) => line.replace(/^\s*\*? ?/, '').trimEnd());
  const paragraphs: string[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    if (/^\s*- /.test(line) || paragraphs.length === 0) paragraphs.push(line.trim());
    else paragraphs[paragraphs.length - 1] += ` ${line.trim()}`;
  }
  return paragraphs.join('\n');
}

/** Wrappers that do not change a value: `(x)`, `x as T`, `x as const`, `x satisfies T`, `x!`. */
const TRANSPARENT = ['TsAsExpression', 'TsConstAssertion', 'TsSatisfiesExpression', 'ParenthesisExpression', 'TsNonNullExpression'];

const unwrap = (node: AstNode): AstNode => (TRANSPARENT.includes(node.type) ? unwrap(node.expression) : node);

const propertyName = (key: AstNode): string | undefined =>
  key.type === 'Identifier' ? key.value : key.type === 'StringLiteral' ? key.value : undefined;

const isCallTo = (node: AstNode, name: string): boolean =>
  node.type === 'CallExpression' && node.callee.type === 'Identifier' && node.callee.value === name;

/** `x.tryGetContext('key')` (bin/tap.ts) or `read('key')` (loadConfig): the setting it reads, if any. */
function contextKeyRead(node: AstNode): string | undefined {
  if (node.type !== 'CallExpression') return undefined;
  const callee = node.callee;
  const isRead = (callee.type === 'Identifier' && callee.value === 'read')
    || (callee.type === 'MemberExpression' && callee.property.type === 'Identifier' && callee.property.value === 'tryGetContext');
  const argument = node.arguments[0]?.expression;
  return isRead && argument?.type === 'StringLiteral' ? argument.value : undefined;
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Constant values                                                                                                     */
/* ------------------------------------------------------------------------------------------------------------------ */

type Value = string | number | boolean | Value[] | { [key: string]: Value };

/** The value of a constant expression (literals, top-level constants, templates, arithmetic, `.join`), or undefined. */
function evaluate(file: SourceFile, expression: AstNode, seen = new Set<string>()): Value | undefined {
  const node = unwrap(expression);
  switch (node.type) {
    case 'StringLiteral': case 'NumericLiteral': case 'BooleanLiteral': return node.value;
    case 'TemplateLiteral': {
      const parts = node.expressions.map((part: AstNode) => evaluate(file, part, seen));
      if (parts.some((part: Value | undefined) => part === undefined)) return undefined;
      return node.quasis.map((quasi: AstNode, index: number) => quasi.cooked + (index < parts.length ? format(parts[index]) : '')).join('');
    }
    case 'BinaryExpression': {
      const left = evaluate(file, node.left, seen);
      const right = evaluate(file, node.right, seen);
      if (left === undefined || right === undefined) return undefined;
      if (node.operator === '+' && (typeof left === 'string' || typeof right === 'string')) return format(left) + format(right);
      if (typeof left !== 'number' || typeof right !== 'number') return undefined;
      switch (node.operator) {
        case '+': return left + right;
        case '-': return left - right;
        case '*': return left * right;
        case '/': return left / right;
        default: return undefined;
      }
    }
    case 'ArrayExpression': {
      const elements = node.elements.map((element: { expression: AstNode } | null) => (element ? evaluate(file, element.expression, seen) : undefined));
      return elements.some((element: Value | undefined) => element === undefined) ? undefined : elements;
    }
    case 'ObjectExpression': {
      const entries: [string, Value][] = [];
      for (const property of node.properties) {
        const key = property.type === 'KeyValueProperty' ? propertyName(property.key) : undefined;
        const value = key === undefined ? undefined : evaluate(file, property.value, seen);
        if (key === undefined || value === undefined) return undefined;
        entries.push([key, value]);
      }
      return Object.fromEntries(entries);
    }
    case 'Identifier': {
      const constant = file.constants.get(node.value);
      if (!constant || seen.has(node.value) || !constant.declarator.init) return undefined;
      return evaluate(file, constant.declarator.init, new Set([...seen, node.value]));
    }
    case 'CallExpression': {
      const callee = node.callee;
      if (callee.type !== 'MemberExpression' || callee.property.value !== 'join') return undefined;
      const list = evaluate(file, callee.object, seen);
      const separator = node.arguments[0] ? evaluate(file, node.arguments[0].expression, seen) : ',';
      return Array.isArray(list) && typeof separator === 'string' ? list.map(format).join(separator) : undefined;
    }
    default:
      return undefined;
  }
}

function format(value: Value): string {
  if (Array.isArray(value)) return value.map(format).join(', ');
  if (typeof value === 'object') return Object.entries(value).map(([key, entry]) => `${key}: ${format(entry)}`).join('; ');
  return String(value);
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Settings                                                                                                            */
/* ------------------------------------------------------------------------------------------------------------------ */

export interface ConfigConstant {
  readonly name: string;
  readonly value: string;
  readonly doc?: string;
}

export interface ConfigSetting {
  /** The CDK context key (`-c key=value`, cdk.json `context`). */
  readonly key: string;
  /** File (relative to the repository) whose code reads it. */
  readonly source: string;
  /** Where it lands in `DrConfig` (`database.port`), when it does. */
  readonly field?: string;
  /** The field's TypeScript type. */
  readonly type?: string;
  readonly description?: string;
  /** The literal default, when there is one (checked against `loadConfig` by the test). */
  readonly literalDefault?: string;
  /** Every default, in the order they apply, as Markdown. */
  readonly defaults: string[];
  /** Messages of the `ConfigError`s that name only this setting (`Invalid configuration "<key>": <message>`). */
  readonly rules: string[];
  /** Rules shared with other settings: anchors into the "Rules across settings" section. */
  readonly sharedRules: string[];
  readonly warnings: string[];
  readonly constants: ConfigConstant[];
}

export interface SharedRule {
  readonly id: string;
  readonly settings: string[];
  readonly condition?: string;
  readonly message: string;
  /** The values a `${…}` in the message can take, when the code lists them. */
  readonly alternatives: string[];
}

export interface ConfigModel {
  readonly settings: ConfigSetting[];
  readonly sharedRules: SharedRule[];
  /** `key: value` tags every stack carries (the `tags` object of loadConfig, without the user's own). */
  readonly fixedTags: [string, string][];
}

/** A read of a setting followed to where its value lands. */
interface Flow {
  readonly key: string;
  readonly read: AstNode;
  /** DrConfig property names, outermost first. */
  readonly path: string[];
  /** The `??` right-hand sides met on the way, innermost first. */
  readonly fallbacks: AstNode[];
  /** Calls of local functions the value went through (validators), with the argument index it was. */
  readonly calls: { call: AstNode; argument: number }[];
  /** Variables (and assignment targets) that held the value. */
  readonly variables: string[];
  /** Whether the path was followed up to the object loadConfig returns. */
  readonly complete: boolean;
}

class ConfigAnalysis {
  readonly config = new SourceFile(join(REPO_ROOT, CONFIG_SOURCE));
  readonly app = new SourceFile(join(REPO_ROOT, APP_SOURCE));
  private readonly loadConfig: AstNode;
  private readonly flows = new Map<string, Flow>();
  private readonly appReads = new Map<string, AstNode>();
  private readonly variableSetting = new Map<string, string>();
  private readonly pathSetting = new Map<string, string>();
  private readonly importedFiles = new Map<string, SourceFile>();

  constructor() {
    const loadConfig = this.config.functions.get('loadConfig');
    if (!loadConfig) throw new Error(`${CONFIG_SOURCE} has no function loadConfig`);
    this.loadConfig = loadConfig;

    const reads = this.config.findAll(loadConfig, (node) => contextKeyRead(node) !== undefined);
    if (reads.length === 0) throw new Error(`loadConfig in ${CONFIG_SOURCE} reads no setting (no read('<setting>') call)`);
    const keys = [...new Set(reads.map((node) => contextKeyRead(node)!))];
    for (const key of keys) this.flows.set(key, this.bestFlow(reads.filter((node) => contextKeyRead(node) === key), key));
    for (const flow of this.flows.values()) {
      if (flow.complete) this.pathSetting.set(flow.path.join('.'), flow.key);
      for (const variable of flow.variables) if (!this.variableSetting.has(variable)) this.variableSetting.set(variable, flow.key);
    }
    for (const node of this.app.findAll(this.app.body, (candidate) => contextKeyRead(candidate) !== undefined)) {
      const key = contextKeyRead(node)!;
      if (!this.flows.has(key) && !this.appReads.has(key)) this.appReads.set(key, node);
    }
  }

  /** Of several reads of one setting, the one a validator names it in, else the one with a default, else the first. */
  private bestFlow(reads: AstNode[], key: string): Flow {
    const flows = reads.map((read) => this.follow(read, key));
    const named = flows.find((flow) => flow.calls.some(({ call }) => {
      const first = call.arguments[0]?.expression;
      return first?.type === 'StringLiteral' && first.value === key;
    }));
    return named ?? flows.find((flow) => flow.fallbacks.length > 0) ?? flows.find((flow) => flow.complete) ?? flows[0];
  }

  /** Follows a value up the tree of loadConfig to the returned object. */
  private follow(read: AstNode, key: string): Flow {
    return this.followFrom(read, { key, read, path: [], fallbacks: [], calls: [], variables: [], complete: false }, 0);
  }

  /**
   * Climbs from `start` (a node holding the value) until the object loadConfig returns. At a variable, every place the
   * variable goes on to is tried; the shortest complete path wins (`regions` is also an argument of validFunctions, but
   * it is `DrConfig.regions`).
   */
  private followFrom(start: AstNode, flow: Flow, depth: number): Flow {
    const file = this.config;
    const path = [...flow.path];
    const fallbacks = [...flow.fallbacks];
    const calls = [...flow.calls];
    const variables = [...flow.variables];
    const result = (complete: boolean): Flow => ({ key: flow.key, read: flow.read, path, fallbacks, calls, variables, complete });
    let node = start;
    for (let steps = 0; steps < 50 && depth < 8; steps++) {
      const parent = file.parent(node);
      if (!parent) break;
      switch (parent.type) {
        case 'ParenthesisExpression': case 'TsAsExpression': case 'TsConstAssertion': case 'TsNonNullExpression': case 'TsSatisfiesExpression':
          node = parent;
          continue;
        case 'BinaryExpression':
          if (parent.operator !== '??' || parent.left !== node) return result(false);
          fallbacks.push(parent.right);
          node = parent;
          continue;
        case 'CallExpression': {
          const argument = parent.arguments.findIndex((entry: { expression: AstNode }) => entry.expression === node);
          if (argument < 0) return result(false);
          if (parent.callee.type === 'Identifier' && file.functions.has(parent.callee.value)) calls.push({ call: parent, argument });
          node = parent;
          continue;
        }
        case 'KeyValueProperty':
          if (parent.value !== node) return result(false);
          path.unshift(propertyName(parent.key) ?? '?');
          node = file.parent(parent)!;
          continue;
        case 'SpreadElement':
          node = file.parent(parent)!;
          continue;
        case 'ObjectExpression':
          // A shorthand property `{ name }`: the node is the Identifier itself.
          if (node.type === 'Identifier') path.unshift(node.value);
          node = parent;
          continue;
        case 'VariableDeclarator':
        case 'AssignmentExpression': {
          const target = parent.type === 'VariableDeclarator' ? parent.id : parent.left;
          if (target.type !== 'Identifier' || (parent.type === 'AssignmentExpression' && parent.right !== node)) return result(false);
          // Only a variable that holds the value itself stands for the setting (not `regions`, which holds three).
          if (path.length === 0) variables.push(target.value);
          const here = result(false);
          const candidates = this.usesOf(target.value, parent).map((use) => this.followFrom(use, here, depth + 1));
          const complete = candidates.filter((candidate) => candidate.complete).sort((a, b) => a.path.length - b.path.length);
          return complete[0] ?? candidates[0] ?? here;
        }
        case 'ReturnStatement':
          return result(file.ancestors(parent).includes(this.loadConfig));
        default:
          return result(false);
      }
    }
    return result(false);
  }

  /**
   * Where a variable's value goes on: a property (`{ name }`, `{ key: name }`, `{ key: name ?? x }`), an assignment or
   * a validator's argument. Comparisons, tests and fallbacks of other settings are no destination.
   */
  private usesOf(variable: string, declaration: AstNode): AstNode[] {
    const file = this.config;
    const uses = file.findAll(this.loadConfig, (node) => node.type === 'Identifier' && node.value === variable && node.span.start > declaration.span.start
      && !this.isDeclarationName(node) && !this.isPropertyName(node));
    return uses.filter((use) => {
      let node = use;
      for (let steps = 0; steps < 20; steps++) {
        const parent = file.parent(node);
        if (!parent) return false;
        if (TRANSPARENT.includes(parent.type) || (parent.type === 'BinaryExpression' && parent.operator === '??' && parent.left === node)) {
          node = parent;
          continue;
        }
        if (parent.type === 'CallExpression' && parent.callee.type === 'Identifier' && file.functions.has(parent.callee.value)
          && parent.arguments.some((entry: { expression: AstNode }) => entry.expression === node)) {
          node = parent;
          continue;
        }
        return parent.type === 'KeyValueProperty' ? parent.value === node
          : parent.type === 'ObjectExpression' || parent.type === 'SpreadElement' || parent.type === 'VariableDeclarator'
            || (parent.type === 'AssignmentExpression' && parent.right === node);
      }
      return false;
    });
  }

  /** `key` in `{ key: value }` or `object.key`: a name, not a use of a variable. */
  private isPropertyName(node: AstNode): boolean {
    const parent = this.config.parent(node);
    return (parent?.type === 'KeyValueProperty' && parent.key === node) || (parent?.type === 'MemberExpression' && parent.property === node);
  }

  private isDeclarationName(node: AstNode): boolean {
    const parent = this.config.parent(node);
    return (parent?.type === 'VariableDeclarator' && parent.id === node) || (parent?.type === 'AssignmentExpression' && parent.left === node);
  }

  /* ---- what an expression means, for messages and defaults ---- */

  /** The setting an expression of loadConfig (or a validator's argument bound to one) stands for. */
  settingOf(expression: AstNode, scope: Scope): string | undefined {
    const member = this.resolveMember(expression, scope);
    if (member) return this.settingOf(member.expression, member.scope);
    const read = this.config.find(expression, (node) => contextKeyRead(node) !== undefined);
    if (read && unwrap(expression).type !== 'Identifier') return contextKeyRead(read);
    const path = this.pathOf(expression, scope);
    if (path && path.length === 1 && scope.fn === this.loadConfig && this.variableSetting.has(path[0])) return this.variableSetting.get(path[0]);
    return path ? this.pathSetting.get(path.join('.')) : undefined;
  }

  /** `timings.ttlSeconds` where `timings` is bound to an object literal: that property's value. */
  private resolveMember(expression: AstNode, scope: Scope): { expression: AstNode; scope: Scope } | undefined {
    const node = unwrap(expression);
    if (node.type !== 'MemberExpression' || node.property.type !== 'Identifier' || unwrap(node.object).type !== 'Identifier') return undefined;
    const bound = scope.bindings.get(unwrap(node.object).value);
    const object = bound && unwrap(bound.expression);
    if (object?.type !== 'ObjectExpression') return undefined;
    const property = object.properties.find((entry: AstNode) => entry.type === 'KeyValueProperty' && propertyName(entry.key) === node.property.value);
    return property ? { expression: property.value, scope: bound!.scope } : undefined;
  }

  /** `regions.primary` → ['regions', 'primary'], through validator parameters and destructuring. */
  private pathOf(expression: AstNode, scope: Scope): string[] | undefined {
    const node = unwrap(expression);
    if (node.type === 'MemberExpression' && node.property.type === 'Identifier') {
      const object = this.pathOf(node.object, scope);
      return object ? [...object, node.property.value] : undefined;
    }
    if (node.type !== 'Identifier') return undefined;
    const bound = scope.bindings.get(node.value);
    if (bound) return this.pathOf(bound.expression, bound.scope);
    const destructured = this.destructuredFrom(node.value, scope.fn);
    if (destructured) {
      const object = this.pathOf(destructured.from, scope);
      return object ? [...object, destructured.key] : undefined;
    }
    return [node.value];
  }

  /** `const { key: name } = from` in `fn`. */
  private destructuredFrom(name: string, fn: AstNode): { from: AstNode; key: string } | undefined {
    for (const declarator of this.config.findAll(fn, (node) => node.type === 'VariableDeclarator' && node.id.type === 'ObjectPattern')) {
      for (const property of declarator.id.properties) {
        const local = property.type === 'AssignmentPatternProperty' ? property.key.value : property.value?.value;
        if (local === name) return { from: declarator.init, key: propertyName(property.key)! };
      }
    }
    return undefined;
  }

  /** A message or default expression as Markdown-safe text: constants evaluated, everything else `‹name›`. */
  renderText(expression: AstNode, scope: Scope): string {
    const file = scope.file;
    const node = unwrap(expression);
    const value = evaluate(file, node);
    if (value !== undefined) return format(value);
    if (node.type === 'TemplateLiteral') {
      return node.quasis.map((quasi: AstNode, index: number) =>
        quasi.cooked + (index < node.expressions.length ? this.renderText(node.expressions[index], scope) : '')).join('');
    }
    if (node.type === 'BinaryExpression' && node.operator === '+') return this.renderText(node.left, scope) + this.renderText(node.right, scope);
    if (node.type === 'ArrayExpression') {
      return node.elements.map((element: { expression: AstNode }) => this.renderText(element.expression, scope)).join(',');
    }
    if (node.type === 'Identifier') {
      const bound = scope.bindings.get(node.value);
      if (bound) {
        const boundValue = evaluate(bound.scope.file, bound.expression);
        if (boundValue !== undefined) return format(boundValue);
        const setting = this.settingOf(bound.expression, bound.scope);
        return setting ? `‹${setting}›` : `‹${bound.scope.file.code(bound.expression)}›`;
      }
      const local = this.localConstant(node.value, scope.fn, file);
      if (local && isTextExpression(unwrap(local))) return this.renderText(local, scope);
    }
    const setting = file === this.config ? this.settingOf(node, scope) ?? this.joinedSetting(node, scope) : undefined;
    return setting ? `‹${setting}›` : `‹${file.code(node)}›`;
  }

  /** `ids.join(',')` where `const ids = value.split(',')…` and `value` is a setting: that setting, as given. */
  private joinedSetting(node: AstNode, scope: Scope): string | undefined {
    if (node.type !== 'CallExpression' || node.callee.type !== 'MemberExpression' || node.callee.property.value !== 'join') return undefined;
    let root = unwrap(node.callee.object);
    for (let steps = 0; steps < 10; steps++) {
      if (root.type === 'CallExpression') root = unwrap(root.callee);
      else if (root.type === 'MemberExpression') root = unwrap(root.object);
      else if (root.type === 'ConditionalExpression') root = unwrap(root.alternate);
      else if (root.type === 'Identifier' && scope.bindings.has(root.value)) {
        const bound = scope.bindings.get(root.value)!;
        return this.settingOf(bound.expression, bound.scope);
      } else if (root.type === 'Identifier') {
        const local = this.localConstant(root.value, scope.fn, scope.file);
        if (!local) return undefined;
        root = unwrap(local);
      } else return undefined;
    }
    return undefined;
  }

  private localConstant(name: string, fn: AstNode, file: SourceFile): AstNode | undefined {
    const declarator = file.find(fn, (node) => node.type === 'VariableDeclarator' && node.id.type === 'Identifier' && node.id.value === name);
    return declarator?.init ?? undefined;
  }

  /** Scope of a call of `fn`: its parameters bound to the call's arguments. */
  callScope(fn: AstNode, call: AstNode | undefined, caller: Scope): Scope {
    const bindings = new Map<string, { expression: AstNode; scope: Scope }>();
    if (call) {
      fn.params.forEach((param: AstNode, index: number) => {
        const pattern = param.pat.type === 'AssignmentPattern' ? param.pat.left : param.pat;
        const argument = call.arguments[index]?.expression;
        if (pattern.type === 'Identifier' && argument) bindings.set(pattern.value, { expression: argument, scope: caller });
      });
    }
    return { file: this.config, fn, bindings };
  }

  private topScope(): Scope {
    return { file: this.config, fn: this.loadConfig, bindings: new Map() };
  }

  /* ---- the model ---- */

  model(): ConfigModel {
    const errors = this.configErrors();
    const sharedRules = this.sharedRules(errors);
    const settings = [...this.flows.values()].map((flow) => this.setting(flow, errors, sharedRules));
    for (const [key, read] of this.appReads) settings.push(this.appSetting(key, read));
    return { settings, sharedRules, fixedTags: this.fixedTags() };
  }

  private setting(flow: Flow, errors: ConfigErrorSite[], sharedRules: SharedRule[]): ConfigSetting {
    const top = this.topScope();
    const member = flow.complete ? this.member(flow.path) : undefined;
    const defaults: string[] = [];
    let literalDefault: string | undefined;
    for (const fallback of flow.fallbacks) {
      const value = evaluate(this.config, fallback);
      if (value !== undefined && literalDefault === undefined && defaults.length === 0) literalDefault = format(value);
      defaults.push(this.renderDefault(fallback, top));
    }
    // A validator that fills in an undefined value: `value === undefined ? <default> : …`.
    for (const { call, argument } of flow.calls) {
      const fn = this.config.functions.get(call.callee.value)!;
      const param = fn.params[argument]?.pat;
      if (param?.type !== 'Identifier') continue;
      const conditional = this.config.find(fn, (node) => node.type === 'ConditionalExpression' && isUndefinedTest(node.test, param.value));
      if (conditional) defaults.push(`\`${this.renderText(conditional.consequent, this.callScope(fn, call, top))}\``);
    }
    // `if (variable === undefined) { target = <default>; … }`.
    for (const variable of flow.variables) {
      for (const test of this.config.findAll(this.loadConfig, (node) => node.type === 'IfStatement' && isUndefinedTest(node.test, variable))) {
        for (const assignment of this.config.findAll(test.consequent, (node) => node.type === 'AssignmentExpression')) {
          if (assignment.left.type === 'Identifier' && flow.variables.includes(assignment.left.value)) defaults.push(this.renderDefault(assignment.right, top));
        }
      }
    }

    const rules = new Set<string>();
    const validators = new Set(flow.calls.map(({ call }) => call.callee.value as string));
    for (const error of errors) {
      for (const site of error.sites) if (site.settings.length === 1 && site.settings[0] === flow.key) rules.add(site.message);
    }
    const shared = sharedRules.filter((rule) => rule.settings.includes(flow.key)).map((rule) => rule.id);

    const constants = new Map<string, ConfigConstant>();
    const addConstant = (name: string) => {
      const constant = this.config.constants.get(name);
      if (!constant?.declarator.init || constants.has(name)) return;
      const value = evaluate(this.config, constant.declarator.init);
      if (value === undefined || ['string', 'number'].includes(typeof value) && this.inlined(name)) return;
      constants.set(name, { name, value: format(value), doc: this.config.docComment(constant.statement.type === 'ExportDeclaration' ? constant.statement.declaration : constant.statement) });
    };
    for (const validator of this.reachableFunctions([...validators])) {
      for (const identifier of this.config.findAll(this.config.functions.get(validator)!, (node) => node.type === 'Identifier')) addConstant(identifier.value);
    }
    for (const fallback of flow.fallbacks) if (unwrap(fallback).type === 'Identifier') addConstant(unwrap(fallback).value);
    for (const variable of flow.variables) {
      for (const test of this.config.findAll(this.loadConfig, (node) => node.type === 'IfStatement' && isUndefinedTest(node.test, variable))) {
        for (const identifier of this.config.findAll(test.consequent, (node) => node.type === 'Identifier')) {
          const constant = this.config.constants.get(identifier.value);
          if (constant && this.config.docComment(constant.statement.type === 'ExportDeclaration' ? constant.statement.declaration : constant.statement)) addConstant(identifier.value);
        }
      }
    }

    // A constant whose value a message already shows adds only its doc comment, if it has one.
    const inRules = (constant: ConfigConstant) => !/^\d+$/.test(constant.value) && [...rules].some((rule) => rule.includes(constant.value));
    const shown = [...constants.values()].filter((constant) => !inRules(constant) || constant.doc)
      .map((constant) => (inRules(constant) ? { name: constant.name, value: '', doc: constant.doc } : constant));

    return {
      key: flow.key,
      source: CONFIG_SOURCE,
      field: flow.complete ? flow.path.join('.') : undefined,
      type: member?.type,
      description: member?.doc,
      literalDefault,
      defaults,
      rules: [...rules],
      sharedRules: shared,
      warnings: this.warningsOf(flow.key),
      constants: shown,
    };
  }

  /** A numeric or string constant only used inside messages is already shown there. */
  private inlined(name: string): boolean {
    const uses = this.config.findAll(this.config.body, (node) => node.type === 'Identifier' && node.value === name);
    return uses.every((use) => this.config.ancestors(use).some((ancestor) => ancestor.type === 'TemplateLiteral'
      || (ancestor.type === 'VariableDeclarator' && ancestor.id.value === name)));
  }

  /** Local functions called by `names`, transitively (validators delegate: validFunctions → reservedConcurrencyOf). */
  private reachableFunctions(names: string[]): string[] {
    const reached = new Set<string>();
    const queue = [...names];
    while (queue.length > 0) {
      const name = queue.shift()!;
      if (reached.has(name) || name === 'loadConfig' || !this.config.functions.has(name)) continue;
      reached.add(name);
      for (const call of this.config.findAll(this.config.functions.get(name)!, (node) => node.type === 'CallExpression' && node.callee.type === 'Identifier')) {
        queue.push(call.callee.value);
      }
    }
    return [...reached];
  }

  private renderDefault(expression: AstNode, scope: Scope): string {
    const node = unwrap(expression);
    const value = evaluate(this.config, node);
    if (value !== undefined) return `\`${format(value)}\``;
    if (node.type === 'MemberExpression' && node.object.type === 'MemberExpression' && node.object.property.value === 'env') {
      return `environment variable \`${node.property.value}\``;
    }
    const setting = this.settingOf(node, scope);
    if (setting) return `the value of \`${setting}\``;
    if (node.type === 'CallExpression' && node.callee.type === 'Identifier' && this.config.functions.has(node.callee.value)) {
      const doc = this.config.docComment(this.config.functions.get(node.callee.value)!);
      return doc ? `${doc.replace(/\.$/, '')} (\`${this.config.code(node)}\`)` : `\`${this.config.code(node)}\``;
    }
    return `\`${this.config.code(node)}\``;
  }

  /** The DrConfig member at `path`: its type text and doc comment. */
  private member(path: string[]): { type: string; doc?: string } | undefined {
    let typeName = this.loadConfig.returnType ? this.config.code(this.loadConfig.returnType.typeAnnotation) : 'DrConfig';
    let found: { type: string; doc?: string } | undefined;
    for (const name of path) {
      const declaration = this.config.interfaces.get(typeName);
      const member = declaration?.body.body.find((entry: AstNode) => entry.key && propertyName(entry.key) === name);
      if (!member) return undefined;
      const type = member.typeAnnotation ? this.config.code(member.typeAnnotation.typeAnnotation) : 'unknown';
      found = { type: this.expandAlias(type) + (member.optional ? ' (optional)' : ''), doc: this.config.docComment(member) ?? this.siblingDoc(declaration!, member) };
      typeName = type;
    }
    return found;
  }

  /**
   * An undocumented member right after a documented one that differs only in its first word (`drAvailabilityZones`
   * after `primaryAvailabilityZones`) shares that doc comment: the interfaces document such pairs once.
   */
  private siblingDoc(declaration: AstNode, member: AstNode): string | undefined {
    const members: AstNode[] = declaration.body.body;
    const previous = members[members.indexOf(member) - 1];
    const rest = (name: string | undefined) => name?.replace(/^[a-z]+/, '');
    if (!previous?.key || rest(propertyName(previous.key)) !== rest(propertyName(member.key))) return undefined;
    return this.config.docComment(previous);
  }

  /** `FailoverMode` (= `typeof FAILOVER_MODES[number]`) → `'automatic' | 'manual-confirm'`; a union alias → the union. */
  private expandAlias(type: string): string {
    const alias = this.config.typeAliases.get(type);
    const annotation = alias?.typeAnnotation;
    if (annotation?.type === 'TsIndexedAccessType' && annotation.objectType.type === 'TsTypeQuery') {
      const values = evaluate(this.config, annotation.objectType.exprName);
      if (Array.isArray(values)) return values.map((value) => `'${format(value)}'`).join(' | ');
    }
    if (annotation?.type === 'TsUnionType') return this.config.code(annotation);
    return type;
  }

  /** Every `new ConfigError(setting, message)` in dr-config.ts and bin/tap.ts, with the settings it can name. */
  private configErrors(): ConfigErrorSite[] {
    const result: ConfigErrorSite[] = [];
    for (const file of [this.config, this.app]) {
      for (const error of file.findAll(file.body, (node) => node.type === 'NewExpression' && node.callee.type === 'Identifier' && node.callee.value === 'ConfigError')) {
        const fn = file.ancestors(error).find((ancestor) => ancestor.type === 'FunctionDeclaration');
        if (!fn || fn.identifier.value === 'ConfigError') continue;
        const [settingArgument, messageArgument] = error.arguments.map((entry: { expression: AstNode }) => entry.expression);
        const condition = file.ancestors(error).find((ancestor) => ancestor.type === 'IfStatement');
        const scopes = this.scopesOf(fn, file);
        const sites = scopes.map((scope) => {
          const settings = this.settingsNamedBy(settingArgument, scope);
          return { settings, message: this.renderText(messageArgument, scope), scope };
        }).filter((site) => site.settings.length > 0);
        result.push({ error, fn, condition, messageArgument, sites });
      }
    }
    return result;
  }

  /** One scope per call site of a validator (its parameters bound), or the function's own scope for loadConfig/main. */
  private scopesOf(fn: AstNode, file: SourceFile): Scope[] {
    if (file !== this.config || fn === this.loadConfig) return [{ file, fn, bindings: new Map() }];
    const calls = this.config.findAll(this.config.body, (node) => isCallTo(node, fn.identifier.value));
    if (calls.length === 0) return [{ file, fn, bindings: new Map() }];
    return calls.map((call) => {
      const caller = this.config.ancestors(call).find((ancestor) => ancestor.type === 'FunctionDeclaration');
      const callerScope = caller === this.loadConfig || !caller ? this.topScope() : this.scopesOf(caller, file)[0];
      return this.callScope(fn, call, callerScope);
    });
  }

  /** The settings a ConfigError's first argument can be: a literal, a bound parameter, or the literals it is chosen from. */
  private settingsNamedBy(expression: AstNode, scope: Scope): string[] {
    const known = (key: string) => this.flows.has(key) || this.appReads.has(key);
    const node = unwrap(expression);
    if (node.type === 'StringLiteral') return known(node.value) ? [node.value] : [];
    if (node.type === 'Identifier' && scope.bindings.has(node.value)) {
      const bound = scope.bindings.get(node.value)!;
      return this.settingsNamedBy(bound.expression, bound.scope);
    }
    // Chosen from literals: a local `const [setting, …] = cond ? ['a', …] : ['b', …]`, or a local function's returns.
    const sources: AstNode[] = [];
    if (node.type === 'Identifier') {
      const declarator = scope.file.find(scope.fn, (candidate) => candidate.type === 'VariableDeclarator'
        && scope.file.findAll(candidate.id, (id) => id.type === 'Identifier' && id.value === node.value).length > 0);
      if (declarator?.init) sources.push(declarator.init);
    } else if (node.type === 'CallExpression' && node.callee.type === 'Identifier' && scope.file.functions.has(node.callee.value)) {
      sources.push(...scope.file.findAll(scope.file.functions.get(node.callee.value)!, (candidate) => candidate.type === 'ReturnStatement'));
    }
    const literals = sources.flatMap((source) => scope.file.findAll(source, (candidate) => candidate.type === 'StringLiteral').map((literal) => literal.value as string));
    return [...new Set(literals.filter(known))];
  }

  private sharedRules(errors: ConfigErrorSite[]): SharedRule[] {
    const rules: SharedRule[] = [];
    for (const error of errors) {
      for (const site of error.sites.filter((candidate) => candidate.settings.length > 1)) {
        rules.push({
          id: `rule-${rules.length + 1}`,
          settings: site.settings,
          condition: error.condition ? site.scope.file.code(error.condition.test) : undefined,
          message: site.message,
          alternatives: this.alternativesIn(error.messageArgument, site.scope),
        });
      }
    }
    return rules;
  }

  /** For `${problem}` where `const [problem] = check(…)`: the messages `check` can push, even from another file. */
  private alternativesIn(message: AstNode, scope: Scope): string[] {
    const result: string[] = [];
    for (const identifier of scope.file.findAll(message, (node) => node.type === 'Identifier')) {
      const declarator = scope.file.find(scope.fn, (node) => node.type === 'VariableDeclarator' && node.id.type === 'ArrayPattern'
        && node.id.elements.some((element: AstNode | null) => element?.type === 'Identifier' && element.value === identifier.value));
      const init = declarator?.init && unwrap(declarator.init);
      if (init?.type !== 'CallExpression' || init.callee.type !== 'Identifier') continue;
      const name = init.callee.value;
      const file = scope.file.functions.has(name) ? scope.file : this.imported(scope.file.imports.get(name));
      const fn = file?.functions.get(name);
      if (!file || !fn) continue;
      for (const push of file.findAll(fn, (node) => node.type === 'CallExpression' && node.callee.type === 'MemberExpression' && node.callee.property.value === 'push')) {
        const value = evaluate(file, push.arguments[0].expression);
        if (typeof value === 'string') result.push(value);
      }
    }
    return result;
  }

  private imported(path: string | undefined): SourceFile | undefined {
    if (!path) return undefined;
    if (!this.importedFiles.has(path)) this.importedFiles.set(path, new SourceFile(`${path}.ts`));
    return this.importedFiles.get(path);
  }

  /** `warnings.push(…)` in loadConfig, for the first setting its `if` tests. */
  private warningsOf(key: string): string[] {
    const top = this.topScope();
    const warnings: string[] = [];
    for (const push of this.config.findAll(this.loadConfig, (node) => node.type === 'CallExpression' && node.callee.type === 'MemberExpression'
      && node.callee.object.type === 'Identifier' && node.callee.object.value === 'warnings' && node.callee.property.value === 'push')) {
      const condition = this.config.ancestors(push).find((ancestor) => ancestor.type === 'IfStatement');
      if (!condition) continue;
      const tested = this.config.findAll(condition.test, (node) => node.type === 'Identifier' || node.type === 'MemberExpression')
        .map((node) => this.settingOf(node, top)).find((setting) => setting !== undefined);
      if (tested === key) warnings.push(this.renderText(push.arguments[0].expression, top));
    }
    return warnings;
  }

  /** The literal entries of the `tags` object in loadConfig. */
  private fixedTags(): [string, string][] {
    const flow = this.flows.get('tags');
    const object = flow && this.config.ancestors(flow.read).find((node) => node.type === 'ObjectExpression');
    if (!object) return [];
    const top = this.topScope();
    return object.properties.filter((property: AstNode) => property.type === 'KeyValueProperty')
      .map((property: AstNode) => [propertyName(property.key)!, this.renderText(property.value, top)] as [string, string]);
  }

  /** A setting read by bin/tap.ts (`target`): its default, doc comment and errors. */
  private appSetting(key: string, read: AstNode): ConfigSetting {
    const file = this.app;
    const statement = file.ancestors(read).find((node) => node.type === 'VariableDeclaration');
    const fallback = file.parent(read)?.type === 'BinaryExpression' && file.parent(read)!.operator === '??' ? file.parent(read)!.right : undefined;
    const value = fallback ? evaluate(file, fallback) : undefined;
    const fn = file.ancestors(read).find((node) => node.type === 'FunctionDeclaration');
    if (!fn) throw new Error(`${APP_SOURCE} reads "${key}" outside a function`);
    const scope: Scope = { file, fn, bindings: new Map() };
    const rules = file.findAll(fn, (node) => node.type === 'NewExpression' && node.callee.value === 'ConfigError'
      && unwrap(node.arguments[0].expression).type === 'StringLiteral' && unwrap(node.arguments[0].expression).value === key)
      .map((node) => this.renderText(node.arguments[1].expression, scope));
    return {
      key,
      source: APP_SOURCE,
      description: statement ? file.docComment(statement) : undefined,
      literalDefault: value === undefined ? undefined : format(value),
      defaults: value === undefined ? [] : [`\`${format(value)}\``],
      rules,
      sharedRules: [],
      warnings: [],
      constants: [],
    };
  }
}

interface Scope {
  readonly file: SourceFile;
  readonly fn: AstNode;
  readonly bindings: Map<string, { expression: AstNode; scope: Scope }>;
}

interface ConfigErrorSite {
  readonly error: AstNode;
  readonly fn: AstNode;
  readonly condition?: AstNode;
  readonly messageArgument: AstNode;
  readonly sites: { settings: string[]; message: string; scope: Scope }[];
}

/** A string literal, a template or a `+` of them. */
function isTextExpression(node: AstNode): boolean {
  if (node.type === 'TemplateLiteral' || node.type === 'StringLiteral') return true;
  return node.type === 'BinaryExpression' && node.operator === '+' && isTextExpression(unwrap(node.left)) && isTextExpression(unwrap(node.right));
}

/** `name === undefined` (either side). */
function isUndefinedTest(test: AstNode, name: string): boolean {
  const node = unwrap(test);
  if (node.type !== 'BinaryExpression' || node.operator !== '===') return false;
  const sides = [unwrap(node.left), unwrap(node.right)];
  return sides.some((side) => side.type === 'Identifier' && side.value === name) && sides.some((side) => side.type === 'Identifier' && side.value === 'undefined');
}

/** The settings, read from the code. */
export function extractConfigModel(): ConfigModel {
  return new ConfigAnalysis().model();
}

/* ------------------------------------------------------------------------------------------------------------------ */
/* Markdown                                                                                                            */
/* ------------------------------------------------------------------------------------------------------------------ */

/** Inline code that survives backticks inside. */
const code = (text: string) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** Headings are `key`: GitHub's anchor is the key in lower case. */
const anchorOf = (key: string) => key.toLowerCase();

/**
 * Notes that are not in the code: where a setting's value has consequences outside this repository. Each names the
 * settings it is about; generation fails if one of them no longer exists.
 */
const NOTES: { settings: string[]; text: string }[] = [
  { settings: ['backupRetentionDays'], text: 'The point-in-time-recovery window, in both regions.' },
  {
    settings: ['probeIntervalMinutes'],
    text: 'The replication monitor\'s schedule and the period of its alarms ([alarms](runbooks/alarms.md#dr-region-alarms)).',
  },
  {
    settings: ['unreachableEvaluationPeriods'],
    text: 'Applies to the reachability, availability and outage-evidence alarms ([alarms](runbooks/alarms.md#dr-region-alarms)).',
  },
  {
    settings: ['replicationLagAlarmSeconds'],
    text: 'The threshold of the alarm `replication-lag` ([alarms](runbooks/alarms.md#replication-lag)).',
  },
  {
    settings: ['primaryAvailabilityZoneIds', 'drAvailabilityZoneIds', 'instanceClass'],
    text: 'A zone *name* maps to a different physical zone in every account, so `us-east-1a` may land in a zone that does '
      + 'not offer the configured Graviton class (`use1-az3` offers few current instance types). Check a class first: '
      + '`aws rds describe-orderable-db-instance-options --engine postgres --engine-version 14.22 --db-instance-class db.r6g.xlarge '
      + '--query \'OrderableDBInstanceOptions[].AvailabilityZones[].Name\'` '
      + '([DescribeOrderableDBInstanceOptions](https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOrderableDBInstanceOptions.html)), '
      + 'and `aws ec2 describe-availability-zones` for the name ↔ ID mapping of your account.',
  },
  {
    settings: ['engineVersion'],
    text: 'PostgreSQL 14: community support ended in November 2026 (14.x final release); Amazon RDS standard support for major '
      + 'version 14 ends on **28 February 2027** (RDS release calendar), after which RDS Extended Support charges apply. Plan the '
      + 'major upgrade before then: [runbooks/major-version-upgrade.md](runbooks/major-version-upgrade.md) (what happens to the '
      + 'cross-Region replica, and the window without a DR copy).',
  },
  {
    settings: ['accountConcurrencyLimit', 'reservedConcurrency'],
    text: 'New accounts can start far below 1,000 concurrent executions: set `accountConcurrencyLimit` to your quota, and '
      + 'request an increase or choose `keeper-only` ([reserved concurrency](https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html)).',
  },
  {
    settings: ['permissionsBoundaryPolicyName'],
    text: 'How a CloudFormation execution policy can require the boundary: [deployment.md](deployment.md#permissions-boundary).',
  },
  {
    settings: ['connectionArn'],
    text: 'Creating the connection: [deployment.md](deployment.md#2-create-the-github-connection).',
  },
];

export function renderConfigurationDoc(model: ConfigModel): string {
  const keys = new Set(model.settings.map((setting) => setting.key));
  for (const note of NOTES) {
    for (const key of note.settings) if (!keys.has(key)) throw new Error(`a note in scripts/generate-config-docs.ts names "${key}", which the code no longer reads`);
  }
  const lines: string[] = [
    '# Configuration',
    '',
    '<!-- Generated by `npm run docs:config` from lib/config/dr-config.ts and bin/tap.ts; do not edit by hand. '
      + '`test/docs/configuration-doc.test.ts` fails when this file is stale. -->',
    '',
    `Every setting is CDK context: \`-c key=value\` on the command line or \`"context"\` in \`cdk.json\`. \`${CONFIG_SOURCE}\` `
      + '(`loadConfig`) reads and validates all of them in one place; nothing else reads context or the environment, except '
      + `\`target\`, which \`${APP_SOURCE}\` reads. A bad value fails synth with one line, \`Invalid configuration "<setting>": <message>\`, `
      + 'and exit code 1.',
    '',
    'The delivery pipeline passes only the identity settings it was built with (`account`, `toolingAccount`, the regions, '
      + '`environmentSuffix`, `serviceName`, `connectionArn`, `repository`, `branch`) as `-c` arguments to its own synth; '
      + 'every other setting must be in `cdk.json`, or the next pipeline run drops it ([deployment.md](deployment.md#delivery-pipeline)).',
    '',
    'In the rules below, `‹name›` stands for a value known only at synth (`‹primaryRegion›`: the configured primary region).',
    '',
    '| Setting | Default | `DrConfig` field |',
    '|---|---|---|',
    ...model.settings.map((setting) => `| [${code(setting.key)}](#${anchorOf(setting.key)}) | ${cell(setting.defaults.join(', else ') || '–')} | ${setting.field ? code(setting.field) : '–'} |`),
    '',
  ];
  if (model.fixedTags.length > 0) {
    lines.push(`Every stack is tagged ${model.fixedTags.map(([key, value]) => code(`${key}=${value}`)).join(', ')}, plus \`tags\`.`, '');
  }
  lines.push('## Settings', '');
  for (const setting of model.settings) {
    lines.push(`### ${code(setting.key)}`, '');
    if (setting.description) lines.push(setting.description, '');
    const facts: string[] = [];
    facts.push(`- Read by: \`${setting.source}\`${setting.field ? `, into ${code(setting.field)}` : ''}${setting.type ? ` (${code(setting.type)})` : ''}.`);
    facts.push(`- Default: ${setting.defaults.length > 0 ? setting.defaults.join(', else ') : 'none (unset)'}.`);
    if (setting.rules.length > 0 || setting.sharedRules.length > 0) {
      facts.push('- Rejected with:');
      for (const rule of setting.rules) facts.push(`  - ${code(rule)}`);
      for (const id of setting.sharedRules) {
        const rule = model.sharedRules.find((candidate) => candidate.id === id)!;
        facts.push(`  - a rule across ${rule.settings.map(code).join(', ')}: see [rules across settings](#${id})`);
      }
    }
    for (const warning of setting.warnings) facts.push(`- Warning at synth: ${code(warning)}`);
    for (const constant of setting.constants) {
      facts.push(`- ${code(constant.name)}${constant.value ? ` = ${code(constant.value)}` : ''}${constant.doc ? `: ${constant.doc.replace(/\n/g, ' ')}` : ''}`);
    }
    lines.push(...facts, '');
    for (const note of NOTES.filter((candidate) => candidate.settings.includes(setting.key))) {
      // A note is printed under the first of its settings; the others point there.
      const first = model.settings.find((candidate) => note.settings.includes(candidate.key))!;
      lines.push(first === setting ? note.text : `See also the note under [${code(first.key)}](#${anchorOf(first.key)}).`, '');
    }
  }
  if (model.sharedRules.length > 0) {
    lines.push('## Rules across settings', '');
    for (const rule of model.sharedRules) {
      lines.push(`<a id="${rule.id}"></a>`, '');
      lines.push(`- Reported as one of ${rule.settings.map(code).join(', ')}${rule.condition ? ` when ${code(rule.condition)}` : ''}: ${code(rule.message)}`);
      for (const alternative of rule.alternatives) lines.push(`  - ${code('‹problem›')} = ${code(alternative)}`);
      lines.push('');
    }
  }
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

/** The Markdown of docs/configuration.md, generated from the code. */
export function generateConfigurationDoc(): string {
  return renderConfigurationDoc(extractConfigModel());
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => arg !== '--check');
  if (unknown.length > 0) {
    console.error(`unknown argument(s): ${unknown.join(' ')}\nusage: npm run docs:config [-- --check]`);
    process.exit(2);
  }
  const target = join(REPO_ROOT, CONFIGURATION_DOC);
  const markdown = generateConfigurationDoc();
  if (args.includes('--check')) {
    let current = '';
    try { current = readFileSync(target, 'utf8'); } catch { /* missing: stale */ }
    if (current !== markdown) {
      console.error(`${CONFIGURATION_DOC} is stale: run \`npm run docs:config\``);
      process.exit(1);
    }
    console.error(`${CONFIGURATION_DOC} is up to date`);
  } else {
    writeFileSync(target, markdown);
    console.error(`wrote ${relative(process.cwd(), target) || target}`);
  }
}
