// Django's UserAttributeSimilarityValidator (django/contrib/auth/password_validation.py, 3.2 to 5.x), so that
// a password Django accepts is accepted here and one it refuses is refused, whichever dialect set it.

/** Django's default `max_similarity`. */
const maxSimilarity = 0.7;

// Python's `\W+` on str patterns: anything but a Unicode letter, number or underscore.
const nonWord = /[^\p{L}\p{N}_]+/u;

/**
 * difflib's `SequenceMatcher(a=a, b=b).quick_ratio()`: twice the size of the multiset intersection of the
 * two strings' code points over their summed length (1 when both are empty) — an upper bound on `ratio()`.
 */
export function quickRatio(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  const available = new Map<string, number>();
  for (const char of right) available.set(char, (available.get(char) ?? 0) + 1);
  let matches = 0;
  for (const char of left) {
    const count = available.get(char) ?? 0;
    available.set(char, count - 1);
    if (count > 0) matches += 1;
  }
  const length = left.length + right.length;
  return length === 0 ? 1 : (2 * matches) / length;
}

/**
 * Django's `exceeds_maximum_length_ratio`: a value this much shorter than the password can never reach
 * the bound, so Django skips it (and so must we, to refuse exactly what Django refuses).
 */
function tooShortToCompare(passwordLength: number, valueLength: number): boolean {
  return passwordLength >= 10 * valueLength && valueLength < (maxSimilarity / 2) * passwordLength;
}

/**
 * Whether `password` is too similar to `value` (a username, an email) as Django judges it: compared, in
 * lower case, with the whole value and with each of its parts split on non-word characters.
 */
export function isTooSimilar(password: string, value: string): boolean {
  if (value === '') return false;
  const lowered = password.toLowerCase();
  const passwordLength = Array.from(lowered).length;
  const whole = value.toLowerCase();
  return [...whole.split(nonWord), whole].some(
    (part) =>
      !tooShortToCompare(passwordLength, Array.from(part).length) &&
      quickRatio(lowered, part) >= maxSimilarity,
  );
}
