/**
 * Under CI (`CI` set, as every CI service sets it), where the machine carries everything the tests need:
 * there a missing service or program fails its tests instead of skipping them.
 */
export const onCi = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());
