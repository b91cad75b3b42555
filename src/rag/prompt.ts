/**
 * The chat prompt over retrieved passages, and the check of the passages an
 * answer cites. Passages are shown to the model as `[<chunk id>]` blocks and
 * the model is asked to cite them the same way; a cited id that was not among
 * the passages it was given is not a citation (dropped and flagged).
 */
import type { ChatMessage } from '../llm/ollama.ts'

/** Recorded with each answer: change it whenever the wording below changes. */
export const RAG_PROMPT_VERSION = 'rag-chat-1'

export interface PromptPassage { chunkId: number; title: string; page: number; text: string }

export const RAG_SYSTEM_PROMPT = [
  'You answer questions about the full texts of the studies of a systematic literature review.',
  'Use only the passages given with the question. Each passage starts with its id in square brackets, e.g. [123].',
  'After each statement, cite the passage(s) it comes from by their ids in square brackets, e.g. [123] or [123, 456].',
  'Never cite an id that is not in the passages. If the passages do not answer the question, say so plainly.',
  'Answer in the language of the question.'
].join('\n')

/** The messages sent to the model: instructions, the last turns of the conversation, then the passages and the question. */
export function buildChatMessages(input: { question: string; passages: PromptPassage[]; history?: Array<{ role: 'user' | 'assistant'; content: string }> }): ChatMessage[] {
  const passages = input.passages.map((p) => `[${p.chunkId}] ${p.title} (page ${p.page})\n${p.text}`).join('\n\n')
  return [
    { role: 'system', content: RAG_SYSTEM_PROMPT },
    ...(input.history ?? []).map((m) => ({ role: m.role, content: m.content })),
    { role: 'user', content: `Passages:\n\n${passages}\n\nQuestion: ${input.question}` }
  ]
}

/** `[12]`, `[12, 34]`, `[chunk 12; #34]`: the ids an answer cites, in order of first appearance. */
export function citedIds(answer: string): number[] {
  const seen = new Set<number>()
  for (const group of answer.matchAll(/\[([^\]]{1,200})\]/g)) {
    if (!/^\s*(?:chunk\s*)?#?\d+(?:\s*[,;]\s*(?:chunk\s*)?#?\d+)*\s*$/i.test(group[1])) continue
    for (const id of group[1].match(/\d+/g) ?? []) seen.add(Number(id))
  }
  return [...seen]
}

/** The cited ids split into those among the retrieved passages (citations) and the others (flagged). */
export function verifyCitations(answer: string, retrieved: Iterable<number>): { valid: number[]; invalid: number[] } {
  const allowed = new Set(retrieved)
  const ids = citedIds(answer)
  return { valid: ids.filter((id) => allowed.has(id)), invalid: ids.filter((id) => !allowed.has(id)) }
}
