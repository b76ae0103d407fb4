import type { FieldProblems, Problem, ProblemCode } from '../errors.ts';

/** How one dialect words one kind of problem, given the problem's data and the field it is about. */
export type Wording = {
  readonly [C in ProblemCode]: (problem: Extract<Problem, { code: C }>, field: string) => string;
};

/** A problem in a dialect's words; the table has an entry for every code, or it does not compile. */
export function word(wording: Wording, field: string, problem: Problem): string {
  const say = wording[problem.code] as (problem: Problem, field: string) => string;
  return say(problem, field);
}

/** Field problems as `{field: [sentence]}`, the shape both dialects' validation envelopes share. */
export function wordFields(wording: Wording, fields: FieldProblems): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(fields).map(([field, problem]) => [field, [word(wording, field, problem)]]),
  );
}
