import type { Wording } from '../wording.ts';

/** Every problem in RealWorld's words: the field name, then this ("email" "can't be blank"). */
export const conduitWording: Wording = {
  blank: () => "can't be blank",
  required: () => "can't be blank",
  invalid: () => 'is invalid',
  taken: () => 'has already been taken',
  too_short: ({ min }) => `is too short (minimum is ${min} characters)`,
  too_long: ({ max }) => `is too long (maximum is ${max} characters)`,
  too_common: () => 'is too common',
  too_similar: ({ to }) => `is too similar to the ${to}`,
  wrong_password: () => 'is invalid',
  null: () => 'is invalid',
  not_a_string: () => 'is invalid',
  not_an_object: () => 'is invalid',
};
