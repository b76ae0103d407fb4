/**
 * A name in the form that compares equal whatever its casing: what the unique index on usernames holds,
 * and what every caseless comparison of names uses.
 *
 * Lower case alone is not that. JavaScript lower-cases a capital sigma by its place in the word ("ΑΣ" gives
 * "ας", while a typed "ασ" stays "ασ"), keeps the capital sharp s apart from "ss", and leaves some
 * lower-case letters (Cyrillic's old variants, U+1C80–U+1C88) apart from their ordinary forms, so two
 * accounts could hold the same name but for case. Upper-casing first, then lower-casing, with both sigmas
 * and both sharp s made one, gives every NFKC-normalised letter and digit the same classes as Unicode's
 * full case folding (Python's `str.casefold`, checked over every code point), except that the Turkish
 * dotless ı joins i: one more pair that can never be two accounts, which errs on the safe side.
 */
export function foldCase(text: string): string {
  return text.toUpperCase().toLowerCase().replaceAll('ς', 'σ').replaceAll('ß', 'ss');
}
