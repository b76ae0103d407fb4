import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientSubject, emailSubject } from './subjects.ts';

describe('clientSubject', () => {
  it('counts an IPv4 client by its address, however it arrives', () => {
    assert.equal(clientSubject('203.0.113.7'), '203.0.113.7');
    assert.equal(clientSubject('::ffff:203.0.113.7'), '203.0.113.7');
    assert.notEqual(clientSubject('203.0.113.8'), clientSubject('203.0.113.7'));
  });

  it('counts an IPv6 client by its /64, whichever way the address is written', () => {
    const subject = clientSubject('2001:db8:1:2::1');
    assert.equal(subject, '2001:db8:1:2::/64');
    for (const sameNetwork of [
      '2001:db8:1:2:ffff:ffff:ffff:ffff',
      '2001:0db8:0001:0002:0:0:0:9',
      '2001:DB8:1:2::a',
    ]) {
      assert.equal(clientSubject(sameNetwork), subject, sameNetwork);
    }
    assert.notEqual(clientSubject('2001:db8:1:3::1'), subject);
    assert.equal(clientSubject('::1'), '0:0:0:0::/64');
  });

  it('keeps what is not an address as it is', () => {
    assert.equal(clientSubject('unix-socket'), 'unix-socket');
  });
});

describe('emailSubject', () => {
  it('is the trimmed, lower-cased address, as accounts match emails', () => {
    assert.equal(emailSubject('  Alice@Example.COM '), 'alice@example.com');
    assert.equal(emailSubject('alice@example.com'), 'alice@example.com');
  });
});
