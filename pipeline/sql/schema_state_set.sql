-- Record that a derived object is now at a version (name, version, detail).
INSERT OR REPLACE INTO schema_state VALUES (?, ?, ?, now())
