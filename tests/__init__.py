"""backup-report's tests: a package, so helpers are imported as ``tests.builders``."""
