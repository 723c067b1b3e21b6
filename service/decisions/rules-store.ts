// The rules file on disk: read as a whole, edited in place (comments kept) with an atomic replace. The hub and the
// CLI both edit through here. Two editors racing can lose one edit (the later rename wins): that loses a rule, it
// never widens one, and the file is never torn.
import {readFile} from 'node:fs/promises';
import {basename} from 'node:path';
import type {Decision} from '../../core/decisions/decision.js';
import {addRuleToText, parseRules, problemsText, removeRuleFromText, type RulesParse} from '../../core/decisions/rules-file.js';
import {writeFileAtomic} from './atomic-file.js';

/** The file's text; "" when it does not exist (no rules is a valid state). */
export async function readRulesText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

export async function readRules(path: string): Promise<RulesParse> {
  return parseRules(await readRulesText(path), basename(path));
}

/**
 * Appends `rule`; rejects with the file's problems when it has any (the operator fixes the file first), and when
 * the rule itself would not read back (a note the file does not take, say): nothing broken is ever written.
 */
export async function addRule(path: string, rule: Decision): Promise<void> {
  const edited = addRuleToText(await readRulesText(path), rule);
  if ('error' in edited) throw new Error(`${path}: ${edited.error}`);
  const check = parseRules(edited.text, basename(path));
  if (!check.ok) throw new Error(problemsText(check.problems));
  await writeFileAtomic(path, edited.text);
}

/** Removes the rule `id`; null when there is none. Rejects when the file has problems. */
export async function removeRule(path: string, id: string): Promise<Decision | null> {
  const edited = removeRuleFromText(await readRulesText(path), id);
  if (edited === null) return null;
  if ('error' in edited) throw new Error(`${path}: ${edited.error}`);
  await writeFileAtomic(path, edited.text);
  return edited.removed;
}
