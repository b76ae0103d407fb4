import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeRole, normalizeRoles } from './roles.ts';

describe('role names', () => {
  it('are trimmed, lower-cased, distinct and sorted', () => {
    assert.deepEqual(
      normalizeRoles([' Organizer', 'attendee', 'ORGANIZER', 'billing:admin', 'org.viewer_2-x']),
      {
        ok: true,
        roles: ['attendee', 'billing:admin', 'org.viewer_2-x', 'organizer'],
      },
    );
    assert.deepEqual(normalizeRoles([]), { ok: true, roles: [] });
  });

  it('refuses empty, too long, non-ASCII and spaced names, and more than 32 roles', () => {
    for (const names of [[''], ['x'.repeat(65)], ['é'], ['has space'], ['a/b'], ['ok', '  ']]) {
      assert.deepEqual(
        normalizeRoles(names),
        { ok: false, problem: { code: 'invalid' } },
        JSON.stringify(names),
      );
    }
    assert.equal(normalizeRoles(['x'.repeat(64)]).ok, true);
    const many = Array.from({ length: 33 }, (_, index) => `role${String(index)}`);
    assert.equal(normalizeRoles(many).ok, false);
    assert.equal(normalizeRoles(many.slice(0, 32)).ok, true);
    // duplicates count once
    assert.equal(normalizeRoles([...many.slice(0, 32), 'ROLE0']).ok, true);
  });

  it('reads a filter the way names are stored', () => {
    assert.equal(normalizeRole(' Organizer '), 'organizer');
    assert.equal(normalizeRole('no such role'), undefined);
  });
});
