import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatehouseError } from '../errors.ts';
import { askNewPassword, saveAskingAgain } from './new-password.ts';
import type { Prompter } from './prompt.ts';

/** A prompter answering from a list, as a person at a terminal (interactive) or a pipe would. */
function scriptedPrompter(interactive: boolean, answers: string[]) {
  const asked: string[] = [];
  const said: string[] = [];
  const prompter: Prompter = {
    interactive,
    ask(question) {
      asked.push(question);
      const answer = answers.shift();
      return answer === undefined ? Promise.reject(new Error('no more input')) : Promise.resolve(answer);
    },
    say(line) {
      said.push(line);
    },
    close() {},
  };
  return { prompter, asked, said };
}

const tooShort = () =>
  new GatehouseError('validation_failed', 'validation failed', {
    fields: { password: { code: 'too_short', min: 8 } },
  });

/** A save that refuses passwords shorter than 8 characters, recording every one it was given. */
function policySave() {
  const tried: string[] = [];
  const save = (password: string) => {
    tried.push(password);
    return password.length < 8 ? Promise.reject(tooShort()) : Promise.resolve(`saved ${password}`);
  };
  return { save, tried };
}

describe('asking for a new password', () => {
  it('asks twice at a terminal, and again while the two answers differ', async () => {
    const { prompter, asked, said } = scriptedPrompter(true, ['first-one', 'first-0ne', 'second', 'second']);
    assert.equal(await askNewPassword(prompter, 'Password: '), 'second');
    assert.deepEqual(asked, ['Password: ', 'Password (again): ', 'Password: ', 'Password (again): ']);
    assert.deepEqual(said, ["passwords don't match; try again"]);
  });

  it('gives up after three pairs that differ, as Django does', async () => {
    const { prompter, asked, said } = scriptedPrompter(true, ['a-1', 'a-2', 'b-1', 'b-2', 'c-1', 'c-2', 'd']);
    await assert.rejects(askNewPassword(prompter, 'Password: '), /did not match 3 times/);
    assert.equal(asked.length, 6);
    assert.deepEqual(said, ["passwords don't match; try again", "passwords don't match; try again"]);
  });

  it('asks once from a pipe', async () => {
    const { prompter, asked } = scriptedPrompter(false, ['piped-password', 'next line']);
    assert.equal(await askNewPassword(prompter, 'Password: '), 'piped-password');
    assert.deepEqual(asked, ['Password: ']);
  });
});

describe('saving with a new password', () => {
  it('tells why a password was refused at a terminal and asks again, until one is accepted', async () => {
    const { prompter, asked, said } = scriptedPrompter(true, [
      'short2',
      'short2',
      'long-enough-9',
      'long-enough-9',
    ]);
    const { save, tried } = policySave();
    assert.equal(await saveAskingAgain(prompter, 'abc', 'Password: ', save), 'saved long-enough-9');
    assert.deepEqual(tried, ['abc', 'short2', 'long-enough-9']);
    assert.equal(asked.length, 4);
    assert.deepEqual(said, [
      'password is too short (minimum is 8 characters); try another',
      'password is too short (minimum is 8 characters); try another',
    ]);
  });

  it('lets the first refusal stand when the answers come from a pipe', async () => {
    const { prompter, asked } = scriptedPrompter(false, ['long-enough-9']);
    const { save, tried } = policySave();
    await assert.rejects(saveAskingAgain(prompter, 'abc', 'Password: ', save), tooShort());
    assert.deepEqual(tried, ['abc']);
    assert.deepEqual(asked, []);
  });

  it('lets a refusal of anything besides the password stand at a terminal', async () => {
    const { prompter, asked } = scriptedPrompter(true, ['long-enough-9', 'long-enough-9']);
    const taken = new GatehouseError('validation_failed', 'validation failed', {
      fields: { email: { code: 'taken' }, password: { code: 'too_short', min: 8 } },
    });
    await assert.rejects(
      saveAskingAgain(prompter, 'abc', 'Password: ', () => Promise.reject(taken)),
      taken,
    );
    assert.deepEqual(asked, []);
  });

  it('ends when the terminal has no more answers (Ctrl-D)', async () => {
    const { prompter } = scriptedPrompter(true, []);
    const { save } = policySave();
    await assert.rejects(saveAskingAgain(prompter, 'abc', 'Password: ', save), /no more input/);
  });
});
