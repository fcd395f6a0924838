"""The local AWS and its tools (emulator, synthetic organisation, local Athena, demo): never shipped to Glue."""
