"""The Discord door: discord.py 2 over CoachService."""
