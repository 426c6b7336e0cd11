// Placeholder until this module lands; see docs/ARCHITECTURE.md.
