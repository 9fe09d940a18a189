"""Partners, projects (IATI activities) and coordination: who does what where, with how much."""
