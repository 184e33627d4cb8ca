"""Every string the bot shows on Discord, built in one place: limits, jump links, answers,
transcripts and their pages. Plain text in, plain text out: nothing here talks to Discord."""
