"""The knowledge pipeline: Markdown files to validated documents, chunks and an index."""
