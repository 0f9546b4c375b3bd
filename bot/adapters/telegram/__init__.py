"""The Telegram door: python-telegram-bot 22 over CoachService."""
