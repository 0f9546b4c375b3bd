"""The language-model agent: LangChain over the core, prompts from prompts/, offline fallback."""
