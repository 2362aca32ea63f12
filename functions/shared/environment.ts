/**
 * Reads a handler's environment from a declarative spec, once per cold start. Every problem (missing
 * variables, malformed values, inconsistent combinations) is collected so that one deployment shows
 * everything infra got wrong, instead of one variable per failed cold start.
 */

type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly expected: string };

/** How one variable is read. */
export interface VariableSpec<T> {
  readonly name: string;
  /** Gets the trimmed, non-blank value; returns the typed value or what a valid one looks like. */
  readonly parse: (raw: string) => Parsed<T>;
  /** Used when the variable is absent or blank; without it (and without `optional`) the variable is required. */
  readonly fallback?: T;
  /** Absent or blank reads as `undefined` (see `optional`). */
  readonly optional?: boolean;
}

export type EnvironmentSpec = Readonly<Record<string, VariableSpec<unknown>>>;
export type ValuesOf<S extends EnvironmentSpec> = { -readonly [K in keyof S]: S[K] extends VariableSpec<infer T> ? T : never };

const valid = <T>(value: T): Parsed<T> => ({ ok: true, value });
const invalid = (expected: string): Parsed<never> => ({ ok: false, expected });

/** Text accepted by `accepts`, which is described as `expected` ("must be <expected>") when it refuses. */
export function text(name: string, check?: { accepts: (value: string) => boolean; expected: string }): VariableSpec<string> {
  return { name, parse: (raw) => (!check || check.accepts(raw) ? valid(raw) : invalid(check.expected)) };
}

const ARN = /^arn:aws[a-z-]*:/;

/** Text shaped like an ARN in any partition. */
export function arn(name: string): VariableSpec<string> {
  return text(name, { accepts: (value) => ARN.test(value), expected: 'an ARN' });
}

function integerWhere(name: string, accepts: (value: number) => boolean, expected: string): VariableSpec<number> {
  return {
    name,
    parse: (raw) => {
      const value = Number(raw);
      return Number.isInteger(value) && accepts(value) ? valid(value) : invalid(expected);
    },
  };
}

/** An integer from `min` to `max`, both included. */
export function integer(name: string, range: { readonly min: number; readonly max: number }): VariableSpec<number> {
  return integerWhere(name, (value) => value >= range.min && value <= range.max, `an integer from ${range.min} to ${range.max}`);
}

/** An integer of at least 1, without an upper bound. */
export function positiveInteger(name: string): VariableSpec<number> {
  return integerWhere(name, (value) => value >= 1, 'a positive integer');
}

/** One of `values`, exactly as written. */
export function oneOf<const V extends string>(name: string, values: readonly V[]): VariableSpec<V> {
  const allowed: ReadonlySet<string> = new Set(values);
  return { name, parse: (raw) => (allowed.has(raw) ? valid(raw as V) : invalid(`one of ${values.map((value) => `"${value}"`).join(', ')}`)) };
}

/** Comma-separated items, trimmed, empty items dropped. */
export function commaList(name: string): VariableSpec<string[]> {
  return { name, parse: (raw) => valid(raw.split(',').map((item) => item.trim()).filter((item) => item !== '')) };
}

/** The same variable, optional: `fallback` applies when it is absent or blank. */
export function withDefault<T>(spec: VariableSpec<T>, fallback: T): VariableSpec<T> {
  return { ...spec, fallback };
}

/**
 * The same variable, optional without a default: absent or blank reads as `undefined`. Use a `crossCheck` when
 * another setting makes it required (e.g. a table needed in one mode only).
 */
export function optional<T>(spec: VariableSpec<T>): VariableSpec<T | undefined> {
  return { ...spec, optional: true };
}

const isRequired = (variable: VariableSpec<unknown>) => variable.fallback === undefined && !variable.optional;

/** Names of the variables the spec requires, in spec order. */
export function requiredVariables(spec: EnvironmentSpec): string[] {
  return Object.values(spec).filter(isRequired).map((variable) => variable.name);
}

/** Names of the variables the spec reads when present, in spec order. */
export function optionalVariables(spec: EnvironmentSpec): string[] {
  return Object.values(spec).filter((variable) => !isRequired(variable)).map((variable) => variable.name);
}

/**
 * Reads `spec` from `env`. THROWS one error, prefixed with `functionName`, naming every missing variable,
 * every invalid value and every problem `crossCheck` reports. `crossCheck` sees only the fields that were
 * read successfully, so it can judge combinations even while other variables are wrong.
 */
export function readEnvironment<S extends EnvironmentSpec>(
  functionName: string,
  env: NodeJS.ProcessEnv,
  spec: S,
  crossCheck: (values: Partial<ValuesOf<S>>) => readonly string[] = () => [],
): ValuesOf<S> {
  const missing: string[] = [];
  const invalidValues: string[] = [];
  const values: Partial<Record<keyof S, unknown>> = {};
  for (const [field, variable] of Object.entries(spec) as [keyof S & string, VariableSpec<unknown>][]) {
    const raw = env[variable.name]?.trim();
    if (!raw) {
      if (variable.fallback !== undefined) values[field] = variable.fallback;
      else if (variable.optional) values[field] = undefined;
      else missing.push(variable.name);
      continue;
    }
    const parsed = variable.parse(raw);
    if (parsed.ok) values[field] = parsed.value;
    else invalidValues.push(`${variable.name} must be ${parsed.expected}, got "${raw}"`);
  }
  const problems = [
    ...(missing.length > 0 ? [`missing environment variable(s): ${missing.join(', ')}`] : []),
    ...invalidValues,
    ...crossCheck(values as Partial<ValuesOf<S>>),
  ];
  if (problems.length > 0) throw new Error(`${functionName}: ${problems.join('; ')}`);
  return values as ValuesOf<S>;
}
