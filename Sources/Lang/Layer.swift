// The Lang layer. See ARCHITECTURE.md in the README for what it holds.
