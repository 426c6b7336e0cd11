// Placeholder until the node lands.
