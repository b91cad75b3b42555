/** Default prompt templates seeded by init-db (placeholders in double braces). */
export const DEFAULT_PROMPT_TEMPLATES: Array<{ key: string; kind: string; name: string; template: string }> = []
