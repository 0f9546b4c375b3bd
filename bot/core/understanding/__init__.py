"""Understanding people: who they are (roles and O*NET occupations by meaning), what they mean
now (dialogue acts by the nearest example phrasings), and the conversation state."""
